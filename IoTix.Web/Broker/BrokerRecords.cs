using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IoTix.Web.Broker;

/// <summary>The columns of a stored MQTT application message.</summary>
internal abstract class MessageRecord
{
    public string Topic { get; set; } = "";

    public byte[] Payload { get; set; } = [];

    public int QualityOfService { get; set; }

    public bool Retain { get; set; }

    public string? ContentType { get; set; }

    public string? ResponseTopic { get; set; }

    public byte[]? CorrelationData { get; set; }

    public int PayloadFormatIndicator { get; set; }

    public long MessageExpiryInterval { get; set; }

    /// <summary>JSON array of [name, value] pairs (includes IoTix's expiry deadline).</summary>
    public string? UserProperties { get; set; }
}

/// <summary>A retained message (FR-004), one per topic.</summary>
internal sealed class RetainedMessageRecord : MessageRecord
{
    public DateTime UpdatedAt { get; set; }
}

/// <summary>A persistent session (FR-015); <see cref="ExpiresAt"/> is null while its client is connected.</summary>
internal sealed class BrokerSessionRecord
{
    public string ClientId { get; set; } = "";

    public long ExpirySeconds { get; set; }

    public DateTime? ExpiresAt { get; set; }

    public DateTime UpdatedAt { get; set; }
}

/// <summary>A subscription of a persistent session, with its options (FR-016); the topic filter as the client sent it (<c>$share/...</c> for shared ones).</summary>
internal sealed class BrokerSubscriptionRecord
{
    public string ClientId { get; set; } = "";

    public string TopicFilter { get; set; } = "";

    /// <summary>MQTT 5 Subscription Identifier (1..268435455), 0 = none.</summary>
    public long SubscriptionIdentifier { get; set; }

    public int QualityOfService { get; set; }

    public bool NoLocal { get; set; }

    public bool RetainAsPublished { get; set; }

    public int RetainHandling { get; set; }
}

/// <summary>A QoS 1/2 message queued for an offline persistent session (FR-017), in sequence order.</summary>
internal sealed class BrokerQueuedMessageRecord : MessageRecord
{
    public string ClientId { get; set; } = "";

    public long Sequence { get; set; }
}

internal sealed class RetainedMessageRecordConfiguration : IEntityTypeConfiguration<RetainedMessageRecord>
{
    public void Configure(EntityTypeBuilder<RetainedMessageRecord> builder)
    {
        builder.ToTable("broker_retained_messages");
        builder.HasKey(r => r.Topic);
    }
}

internal sealed class BrokerSessionRecordConfiguration : IEntityTypeConfiguration<BrokerSessionRecord>
{
    public void Configure(EntityTypeBuilder<BrokerSessionRecord> builder)
    {
        builder.ToTable("broker_sessions");
        builder.HasKey(s => s.ClientId);
        builder.HasIndex(s => s.ExpiresAt);
    }
}

internal sealed class BrokerSubscriptionRecordConfiguration : IEntityTypeConfiguration<BrokerSubscriptionRecord>
{
    public void Configure(EntityTypeBuilder<BrokerSubscriptionRecord> builder)
    {
        builder.ToTable("broker_subscriptions");
        builder.HasKey(s => new { s.ClientId, s.TopicFilter });
        builder.HasOne<BrokerSessionRecord>().WithMany().HasForeignKey(s => s.ClientId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class BrokerQueuedMessageRecordConfiguration : IEntityTypeConfiguration<BrokerQueuedMessageRecord>
{
    public void Configure(EntityTypeBuilder<BrokerQueuedMessageRecord> builder)
    {
        builder.ToTable("broker_queued_messages");
        builder.HasKey(m => new { m.ClientId, m.Sequence });
        builder.Property(m => m.Sequence).ValueGeneratedNever();
        builder.HasOne<BrokerSessionRecord>().WithMany().HasForeignKey(m => m.ClientId).OnDelete(DeleteBehavior.Cascade);
    }
}
