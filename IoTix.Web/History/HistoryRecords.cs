using IoTix.Broker.History;
using IoTix.Web.Broker;
using IoTix.Web.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IoTix.Web.History;

/// <summary>A captured PUBLISH (table broker_history); of the tenant of its topic's namespace (<see cref="KnownTenants"/>).</summary>
internal sealed class HistoryMessageRecord : MessageRecord, ITenantScoped
{
    public long Id { get; set; }

    public string TenantId { get; set; } = Tenants.Default;

    public DateTime Timestamp { get; set; }

    public string ClientId { get; set; } = "";
}

/// <summary>An undeliverable message (table broker_dead_letters); of the tenant of its topic's or client id's namespace (<see cref="KnownTenants"/>).</summary>
internal sealed class DeadLetterRecord : MessageRecord, ITenantScoped
{
    public long Id { get; set; }

    public string TenantId { get; set; } = Tenants.Default;

    public DateTime Timestamp { get; set; }

    /// <summary><see cref="IoTix.Broker.DeadLetters.DeadLetterReason"/> as a number.</summary>
    public int Reason { get; set; }

    public string ClientId { get; set; } = "";

    public string? PublisherClientId { get; set; }

    /// <summary>Size of the original payload (<see cref="MessageRecord.Payload"/> may hold only its first bytes).</summary>
    public long PayloadBytes { get; set; }
}

/// <summary>Columns every stored captured message of a tenant shares.</summary>
internal static class CapturedColumns
{
    public static void Configure<T>(EntityTypeBuilder<T> builder)
        where T : MessageRecord, ITenantScoped
    {
        builder.Property(m => m.TenantId).HasMaxLength(64).IsRequired();
        builder.Property(m => m.Topic).IsRequired();
        builder.Property(m => m.ContentType).HasMaxLength(1024);
    }
}

internal sealed class HistoryMessageRecordConfiguration : IEntityTypeConfiguration<HistoryMessageRecord>
{
    public void Configure(EntityTypeBuilder<HistoryMessageRecord> builder)
    {
        builder.ToTable("broker_history");
        builder.HasKey(m => m.Id);
        builder.Property(m => m.Id).ValueGeneratedOnAdd();
        builder.Property(m => m.ClientId).IsRequired();
        CapturedColumns.Configure(builder);
        builder.HasIndex(m => new { m.TenantId, m.Timestamp, m.Id });
        builder.HasIndex(m => m.Timestamp);
    }
}

internal sealed class DeadLetterRecordConfiguration : IEntityTypeConfiguration<DeadLetterRecord>
{
    public void Configure(EntityTypeBuilder<DeadLetterRecord> builder)
    {
        builder.ToTable("broker_dead_letters");
        builder.HasKey(m => m.Id);
        builder.Property(m => m.Id).ValueGeneratedOnAdd();
        builder.Property(m => m.ClientId).IsRequired();
        CapturedColumns.Configure(builder);
        builder.HasIndex(m => new { m.TenantId, m.Id });
        builder.HasIndex(m => new { m.TenantId, m.Reason, m.Id });
    }
}

/// <summary>Copies <see cref="CapturedMessage"/>s to and from the stored message columns (the retained-message mapping's format).</summary>
internal static class CapturedMessageMapping
{
    public static void Write(CapturedMessage message, MessageRecord record) => MessageRecordMapping.Write(message.ToApplicationMessage(), record);

    public static CapturedMessage Read(MessageRecord record) => CapturedMessage.From(MessageRecordMapping.Read(record));

    /// <summary>The literal start of a topic filter: levels before its first wildcard (whole filter when it has none).</summary>
    public static (string Prefix, bool Exact) LiteralPrefix(string filter)
    {
        var wildcard = filter.AsSpan().IndexOfAny('+', '#');
        if (wildcard < 0)
        {
            return (filter, true);
        }

        // "a/b/#" also matches "a/b" [MQTT-4.7.1-2]: keep the prefix up to the last '/' before the wildcard, without it.
        var slash = filter.LastIndexOf('/', Math.Max(0, wildcard - 1));
        return (slash < 0 ? "" : filter[..slash], false);
    }
}
