using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IoTix.Web.Tenancy;

/// <summary>A tenant (table tenants): its name and quotas (null: the configured default of <c>IoTix:Tenancy:DefaultQuotas</c>).</summary>
public sealed class TenantRecord
{
    public string Id { get; set; } = "";

    public string Name { get; set; } = "";

    public int? MaxDevices { get; set; }

    public int? MaxGroups { get; set; }

    public int? MaxMessagesPerSecond { get; set; }

    public int? HistoryRetentionDays { get; set; }

    public DateTime CreatedAt { get; set; }
}

internal sealed class TenantRecordConfiguration : IEntityTypeConfiguration<TenantRecord>
{
    public void Configure(EntityTypeBuilder<TenantRecord> builder)
    {
        builder.ToTable("tenants");
        builder.HasKey(t => t.Id);
        builder.Property(t => t.Id).HasMaxLength(64);
        builder.Property(t => t.Name).HasMaxLength(200);
    }
}
