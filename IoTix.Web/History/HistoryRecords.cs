using IoTix.Broker.History;
using IoTix.Web.Broker;
using IoTix.Web.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IoTix.Web.History;

/// <summary>A stored message of a capped table: ids grow in capture order, so the oldest of a tenant are its lowest ids.</summary>
internal interface ICappedMessageRecord : ITenantScoped
{
    long Id { get; }
}

/// <summary>
/// The size cap of history and dead letters applies per tenant: a tenant that captures many messages pushes out its own
/// oldest, never another tenant's.
/// </summary>
internal static class TenantMessageCap
{
    /// <summary>Deletes each tenant's oldest records beyond <paramref name="maxPerTenant"/>; the number deleted.</summary>
    public static async Task<long> TrimAsync<TRecord>(DbSet<TRecord> set, long maxPerTenant, CancellationToken cancellationToken)
        where TRecord : class, ICappedMessageRecord
    {
        var counts = await set.GroupBy(m => m.TenantId).Select(g => new { Tenant = g.Key, Count = g.LongCount() }).ToListAsync(cancellationToken).ConfigureAwait(false);
        long deleted = 0;
        foreach (var tenant in counts)
        {
            if (tenant.Count <= maxPerTenant)
            {
                continue;
            }

            var id = tenant.Tenant;
            var lastId = await set.Where(m => m.TenantId == id).OrderBy(m => m.Id)
                .Skip((int)Math.Min(int.MaxValue, tenant.Count - maxPerTenant - 1)).Select(m => m.Id).FirstAsync(cancellationToken).ConfigureAwait(false);
            deleted += await set.Where(m => m.TenantId == id && m.Id <= lastId).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
        }

        return deleted;
    }
}

/// <summary>A captured PUBLISH (table broker_history); of the tenant of its topic's namespace (<see cref="KnownTenants"/>).</summary>
internal sealed class HistoryMessageRecord : MessageRecord, ICappedMessageRecord
{
    public long Id { get; set; }

    public string TenantId { get; set; } = Tenants.Default;

    public DateTime Timestamp { get; set; }

    public string ClientId { get; set; } = "";
}

/// <summary>An undeliverable message (table broker_dead_letters); of the tenant of its topic's or client id's namespace (<see cref="KnownTenants"/>).</summary>
internal sealed class DeadLetterRecord : MessageRecord, ICappedMessageRecord
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
