using IoTix.Web.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IoTix.Web.Rules;

/// <summary>A rule (table rules): its definition, filters and actions as JSON.</summary>
internal sealed class RuleRecord : ITenantScoped
{
    public string Id { get; set; } = "";

    public string TenantId { get; set; } = Tenants.Default;

    public string Name { get; set; } = "";

    public string? Description { get; set; }

    public bool Enabled { get; set; }

    /// <summary>JSON array of topic filters.</summary>
    public string TopicFilters { get; set; } = "[]";

    public string? Condition { get; set; }

    /// <summary>JSON array of actions (<c>RuleActionDefinition</c>).</summary>
    public string Actions { get; set; } = "[]";

    public DateTime CreatedAt { get; set; }

    public DateTime UpdatedAt { get; set; }
}

/// <summary>A message written by a rule's <c>database</c> action (table rule_events); tenant of the rule.</summary>
internal sealed class RuleEventRecord : ITenantScoped
{
    public long Id { get; set; }

    public string TenantId { get; set; } = Tenants.Default;

    public string RuleId { get; set; } = "";

    public string Topic { get; set; } = "";

    public string? ClientId { get; set; }

    public int QualityOfService { get; set; }

    public DateTime Timestamp { get; set; }

    public string Payload { get; set; } = "";
}

internal sealed class RuleRecordConfiguration : IEntityTypeConfiguration<RuleRecord>
{
    public void Configure(EntityTypeBuilder<RuleRecord> builder)
    {
        builder.ToTable("rules");
        builder.HasKey(r => new { r.TenantId, r.Id });
        builder.Property(r => r.Id).HasMaxLength(100);
        builder.Property(r => r.TenantId).HasMaxLength(100);
        builder.Property(r => r.Name).HasMaxLength(200);
        builder.Property(r => r.Description).HasMaxLength(2000);
        builder.HasIndex(r => new { r.TenantId, r.Name });
    }
}

internal sealed class RuleEventRecordConfiguration : IEntityTypeConfiguration<RuleEventRecord>
{
    public void Configure(EntityTypeBuilder<RuleEventRecord> builder)
    {
        builder.ToTable("rule_events");
        builder.HasKey(e => e.Id);
        builder.Property(e => e.Id).ValueGeneratedOnAdd();
        builder.Property(e => e.TenantId).HasMaxLength(100);
        builder.Property(e => e.RuleId).HasMaxLength(100);
        builder.Property(e => e.ClientId).HasMaxLength(256);
        builder.HasIndex(e => new { e.TenantId, e.RuleId, e.Timestamp });
        builder.HasIndex(e => e.Timestamp);
    }
}
