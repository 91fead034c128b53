using IoTix.Web.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IoTix.Web.Devices;

/// <summary>A device in the registry (table registry_devices, FR-038) with its last known connection status (FR-037).</summary>
internal sealed class RegisteredDeviceRecord : ITenantScoped
{
    /// <summary>
    /// The thing key: the device's id in its tenant's namespace (<c>{id}</c> for the default tenant,
    /// <c>tenants/{t}/{id}</c> otherwise, see <see cref="TenantKeys"/>), its shadow's key and the thing of its topics.
    /// </summary>
    public string DeviceId { get; set; } = "";

    public string TenantId { get; set; } = Tenants.Default;

    /// <summary>The MQTT client id (namespaced like <see cref="DeviceId"/>) its status is tracked by; null means <see cref="DeviceId"/>.</summary>
    public string? ClientId { get; set; }

    public string? Name { get; set; }

    /// <summary>JSON object of string attributes.</summary>
    public string Attributes { get; set; } = "{}";

    /// <summary>JSON array of tags.</summary>
    public string Tags { get; set; } = "[]";

    public DateTime CreatedAt { get; set; }

    public DateTime UpdatedAt { get; set; }

    /// <summary>Last known status, written from the broker's presence (the live value wins while the broker runs).</summary>
    public bool Online { get; set; }

    public DateTime? LastSeenAt { get; set; }

    public DateTime? LastConnectedAt { get; set; }

    public DateTime? LastDisconnectedAt { get; set; }
}

/// <summary>A device shadow (table device_shadows, FR-035): state and metadata as JSON, version and time as columns.</summary>
internal sealed class ShadowRecord : ITenantScoped
{
    /// <summary>The thing key from the broker: <c>{thing}</c> or <c>tenants/{t}/{thing}</c>.</summary>
    public string ThingName { get; set; } = "";

    /// <summary>The tenant of the key's namespace (<c>tenants/{t}/...</c>) when it exists, else <see cref="Tenants.Default"/>.</summary>
    public string TenantId { get; set; } = Tenants.Default;

    public long Version { get; set; }

    public DateTime UpdatedAt { get; set; }

    public string Document { get; set; } = "{}";
}

internal sealed class RegisteredDeviceRecordConfiguration : IEntityTypeConfiguration<RegisteredDeviceRecord>
{
    public void Configure(EntityTypeBuilder<RegisteredDeviceRecord> builder)
    {
        builder.ToTable("registry_devices");
        builder.HasKey(d => d.DeviceId);
        builder.Property(d => d.DeviceId).HasMaxLength(256);
        builder.Property(d => d.TenantId).HasMaxLength(64);
        builder.Property(d => d.ClientId).HasMaxLength(256);
        builder.Property(d => d.Name).HasMaxLength(200);
        builder.HasIndex(d => d.TenantId);
        builder.HasIndex(d => d.ClientId);
    }
}

internal sealed class ShadowRecordConfiguration : IEntityTypeConfiguration<ShadowRecord>
{
    public void Configure(EntityTypeBuilder<ShadowRecord> builder)
    {
        builder.ToTable("device_shadows");
        builder.HasKey(s => s.ThingName);
        builder.Property(s => s.ThingName).HasMaxLength(256);
        builder.Property(s => s.TenantId).HasMaxLength(64);
        builder.HasIndex(s => s.TenantId);
    }
}
