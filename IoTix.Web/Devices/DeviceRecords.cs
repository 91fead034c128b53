using IoTix.Web.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IoTix.Web.Devices;

/// <summary>A device in the registry (table registry_devices, FR-038) with its last known connection status (FR-037).</summary>
internal sealed class RegisteredDeviceRecord : ITenantScoped
{
    /// <summary>The thing name: the device's id, its shadow's name and the <c>{thing}</c> of its topics.</summary>
    public string DeviceId { get; set; } = "";

    public string TenantId { get; set; } = Tenants.Default;

    /// <summary>The MQTT client id its status is tracked by; null means the device id.</summary>
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
    public string ThingName { get; set; } = "";

    /// <summary>Shadows come from the broker, which knows no tenants: <see cref="Tenants.Default"/>.</summary>
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
        builder.Property(d => d.DeviceId).HasMaxLength(128);
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
        builder.Property(s => s.ThingName).HasMaxLength(128);
        builder.Property(s => s.TenantId).HasMaxLength(64);
        builder.HasIndex(s => s.TenantId);
    }
}
