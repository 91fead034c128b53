using IoTix.Web.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IoTix.Web.Audit;

/// <summary>One audit entry (table audit_log, append-only): who did what, to what, when, from where, and how it ended.</summary>
public sealed class AuditRecord : ITenantScoped
{
    public long Id { get; set; }

    public string TenantId { get; set; } = "";

    public DateTime At { get; set; }

    /// <summary>The caller's name (e-mail, <c>apikey:NAME</c>) or <c>anonymous</c>.</summary>
    public string Actor { get; set; } = "";

    /// <summary>What: <c>auth.signin</c>, <c>auth.login</c>, <c>POST /api/v1/groups</c>, <c>access.denied</c> ...</summary>
    public string Action { get; set; } = "";

    /// <summary>The object (request path, user, key id).</summary>
    public string Target { get; set; } = "";

    /// <summary><c>success</c>, <c>failed</c> or <c>denied</c>.</summary>
    public string Outcome { get; set; } = "";

    public int? StatusCode { get; set; }

    public string? RemoteIp { get; set; }

    /// <summary>Details where they matter (reason, before/after as JSON).</summary>
    public string? Details { get; set; }
}

/// <summary>Outcomes of <see cref="AuditRecord.Outcome"/>.</summary>
public static class AuditOutcomes
{
    public const string Success = "success";
    public const string Failed = "failed";
    public const string Denied = "denied";
}

internal sealed class AuditRecordConfiguration : IEntityTypeConfiguration<AuditRecord>
{
    public void Configure(EntityTypeBuilder<AuditRecord> builder)
    {
        builder.ToTable("audit_log");
        builder.HasKey(a => a.Id);
        builder.Property(a => a.Id).ValueGeneratedOnAdd();
        builder.Property(a => a.Actor).HasMaxLength(256);
        builder.Property(a => a.Action).HasMaxLength(200);
        builder.Property(a => a.Target).HasMaxLength(500);
        builder.Property(a => a.Outcome).HasMaxLength(16);
        builder.Property(a => a.RemoteIp).HasMaxLength(64);
        builder.Property(a => a.Details).HasMaxLength(4000);
        builder.HasIndex(a => a.At);
    }
}
