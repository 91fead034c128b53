using IoTix.Web.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IoTix.Web.Accounts;

/// <summary>An API key (table api_keys): only its SHA-256 hash is stored; scoped to a tenant and a role, with expiry and revocation.</summary>
public sealed class ApiKeyRecord : ITenantScoped
{
    public string Id { get; set; } = "";

    public string TenantId { get; set; } = "";

    public string Name { get; set; } = "";

    /// <summary>The key's first characters, shown to tell keys apart (<c>iotix_ab12cd</c>).</summary>
    public string Prefix { get; set; } = "";

    /// <summary>SHA-256 of the key, lower-case hex.</summary>
    public string Hash { get; set; } = "";

    /// <summary>One of <see cref="TenantRoles"/>.</summary>
    public string Role { get; set; } = TenantRoles.Viewer;

    /// <summary>Only the start-up administrator key (<c>IoTix:Admin:ApiKey</c>) manages tenants.</summary>
    public bool PlatformAdmin { get; set; }

    /// <summary>Who created it (user e-mail or key name).</summary>
    public string CreatedBy { get; set; } = "";

    public DateTime CreatedAt { get; set; }

    public DateTime? ExpiresAt { get; set; }

    public DateTime? RevokedAt { get; set; }
}

internal sealed class ApiKeyRecordConfiguration : IEntityTypeConfiguration<ApiKeyRecord>
{
    public void Configure(EntityTypeBuilder<ApiKeyRecord> builder)
    {
        builder.ToTable("api_keys");
        builder.HasKey(k => k.Id);
        builder.Property(k => k.Id).HasMaxLength(32);
        builder.Property(k => k.Name).HasMaxLength(200);
        builder.Property(k => k.Prefix).HasMaxLength(32);
        builder.Property(k => k.Hash).HasMaxLength(64);
        builder.Property(k => k.Role).HasMaxLength(16);
        builder.Property(k => k.CreatedBy).HasMaxLength(256);
        builder.HasIndex(k => k.Hash).IsUnique();
    }
}
