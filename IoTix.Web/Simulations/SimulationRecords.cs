using IoTix.Web.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IoTix.Web.Simulations;

/// <summary>A device model created through the API (table sim_models, key TenantId + Id): its JSON as the catalog serialises it.</summary>
internal sealed class ApiModelRecord : ITenantScoped
{
    public string TenantId { get; set; } = "";

    public string Id { get; set; } = "";

    public string Json { get; set; } = "";

    public DateTime CreatedAt { get; set; }

    public DateTime UpdatedAt { get; set; }
}

/// <summary>A device group's specification and desired state (table sim_groups, key TenantId + GroupId: ids are per tenant).</summary>
internal sealed class GroupRecord : ITenantScoped
{
    public string TenantId { get; set; } = "";

    public string GroupId { get; set; } = "";

    public string ModelId { get; set; } = "";

    public int Count { get; set; }

    public string IdPattern { get; set; } = "";

    /// <summary>The launch configuration last used (JSON of <c>LaunchStrategy</c>), null before the first start.</summary>
    public string? LaunchConfig { get; set; }

    /// <summary>Desired state: the group was started and not stopped since.</summary>
    public bool Running { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime UpdatedAt { get; set; }
}

/// <summary>A device created on its own (or added to a group) and its desired state (table sim_devices, key TenantId + DeviceId).</summary>
internal sealed class DeviceRecord : ITenantScoped
{
    public string TenantId { get; set; } = "";

    public string DeviceId { get; set; } = "";

    public string ModelId { get; set; } = "";

    public bool DesiredRunning { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime UpdatedAt { get; set; }

    /// <summary>The group the device was added to, or null for a device on its own.</summary>
    public string? GroupId { get; set; }

    /// <summary>The device's endpoint override (<c>host</c> or <c>host:port</c>), or null.</summary>
    public string? Endpoint { get; set; }
}

/// <summary>One start of a group (table sim_runs; GroupId is the tenant's id): when, how, with which seed, and the counters when it ended.</summary>
internal sealed class RunRecord : ITenantScoped
{
    public string TenantId { get; set; } = "";

    public long Id { get; set; }

    public string GroupId { get; set; } = "";

    public DateTime StartedAt { get; set; }

    public string Strategy { get; set; } = "";

    public string LaunchConfig { get; set; } = "";

    /// <summary>The engine's run seed as <c>IoTix:Simulation:Seed</c> takes it.</summary>
    public long Seed { get; set; }

    public int DeviceCount { get; set; }

    public int PlannedDevices { get; set; }

    public long ExpectedDurationMs { get; set; }

    /// <summary>Started by the host at start-up (resume), not by a request.</summary>
    public bool Resumed { get; set; }

    public DateTime? EndedAt { get; set; }

    /// <summary><c>stopped</c>, <c>deleted</c>, <c>host-stopped</c>, <c>interrupted</c>; null while the run lasts.</summary>
    public string? EndReason { get; set; }

    public int? RunningDevicesAtEnd { get; set; }

    public long? MessagesSentAtEnd { get; set; }

    public long? MessagesFailedAtEnd { get; set; }

    public long? BytesSentAtEnd { get; set; }
}

/// <summary>A key/value setting of a tenant (table settings, key TenantId + Key), for console and API preferences.</summary>
internal sealed class SettingRecord : ITenantScoped
{
    public string TenantId { get; set; } = "";

    public string Key { get; set; } = "";

    public string Value { get; set; } = "";

    public DateTime UpdatedAt { get; set; }
}

internal sealed class ApiModelRecordConfiguration : IEntityTypeConfiguration<ApiModelRecord>
{
    public void Configure(EntityTypeBuilder<ApiModelRecord> builder)
    {
        builder.ToTable("sim_models");
        builder.HasKey(m => new { m.TenantId, m.Id });
        builder.Property(m => m.Id).HasMaxLength(200);
    }
}

internal sealed class GroupRecordConfiguration : IEntityTypeConfiguration<GroupRecord>
{
    public void Configure(EntityTypeBuilder<GroupRecord> builder)
    {
        builder.ToTable("sim_groups");
        builder.HasKey(g => new { g.TenantId, g.GroupId });
        builder.Property(g => g.GroupId).HasMaxLength(200);
        builder.Property(g => g.ModelId).HasMaxLength(200);
        builder.HasIndex(g => g.ModelId);
    }
}

internal sealed class DeviceRecordConfiguration : IEntityTypeConfiguration<DeviceRecord>
{
    public void Configure(EntityTypeBuilder<DeviceRecord> builder)
    {
        builder.ToTable("sim_devices");
        builder.HasKey(d => new { d.TenantId, d.DeviceId });
        builder.Property(d => d.DeviceId).HasMaxLength(200);
        builder.Property(d => d.ModelId).HasMaxLength(200);
        builder.Property(d => d.GroupId).HasMaxLength(200);
        builder.Property(d => d.Endpoint).HasMaxLength(300);
        builder.HasIndex(d => d.ModelId);
        builder.HasIndex(d => d.GroupId);
    }
}

internal sealed class RunRecordConfiguration : IEntityTypeConfiguration<RunRecord>
{
    public void Configure(EntityTypeBuilder<RunRecord> builder)
    {
        builder.ToTable("sim_runs");
        builder.HasKey(r => r.Id);
        builder.Property(r => r.Id).ValueGeneratedOnAdd();
        builder.Property(r => r.GroupId).HasMaxLength(200);
        builder.Property(r => r.Strategy).HasMaxLength(32);
        builder.Property(r => r.EndReason).HasMaxLength(32);
        builder.HasIndex(r => new { r.TenantId, r.GroupId, r.StartedAt });
        builder.HasIndex(r => r.EndedAt);
    }
}

internal sealed class SettingRecordConfiguration : IEntityTypeConfiguration<SettingRecord>
{
    public void Configure(EntityTypeBuilder<SettingRecord> builder)
    {
        builder.ToTable("settings");
        builder.HasKey(s => new { s.TenantId, s.Key });
        builder.Property(s => s.Key).HasMaxLength(200);
    }
}
