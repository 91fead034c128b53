using IoTix.Web.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IoTix.Web.MqttUsers;

/// <summary>
/// An MQTT user of a tenant (table mqtt_users): the broker authenticates it next to <c>Broker:Users</c> and confines a
/// non-default tenant's user to <c>tenants/{t}/</c> for topics and client ids. Only the password's PBKDF2 hash is
/// stored, in the format the broker verifies (<see cref="IoTix.Broker.Security.BrokerPasswordHasher"/>).
/// </summary>
public sealed class MqttUserRecord : ITenantScoped
{
    public string Id { get; set; } = "";

    public string TenantId { get; set; } = "";

    /// <summary>The name the tenant chose (<c>sensor-fleet</c>).</summary>
    public string Name { get; set; } = "";

    /// <summary>The MQTT user name: <c>{tenant}/{name}</c>, or <c>{name}</c> for the default tenant (unique).</summary>
    public string Username { get; set; } = "";

    public string PasswordHash { get; set; } = "";

    /// <summary>Who created it (user e-mail or key name).</summary>
    public string CreatedBy { get; set; } = "";

    public DateTime CreatedAt { get; set; }
}

internal sealed class MqttUserRecordConfiguration : IEntityTypeConfiguration<MqttUserRecord>
{
    public void Configure(EntityTypeBuilder<MqttUserRecord> builder)
    {
        builder.ToTable("mqtt_users");
        builder.HasKey(u => u.Id);
        builder.Property(u => u.Id).HasMaxLength(32);
        builder.Property(u => u.Name).HasMaxLength(64);
        builder.Property(u => u.Username).HasMaxLength(160);
        builder.Property(u => u.PasswordHash).HasMaxLength(256);
        builder.Property(u => u.CreatedBy).HasMaxLength(256);
        builder.HasIndex(u => u.Username).IsUnique();
    }
}
