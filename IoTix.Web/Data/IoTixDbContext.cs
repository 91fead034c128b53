using IoTix.Web.Accounts;
using IoTix.Web.Tenancy;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace IoTix.Web.Data;

/// <summary>
/// The IoTix database. Features contribute their entities as <see cref="IEntityTypeConfiguration{TEntity}"/> classes in
/// their own folders (picked up from this assembly) and reach them through their store (one per concern), never
/// through EF calls scattered around. One model, two providers: <see cref="SqliteIoTixDbContext"/> and
/// <see cref="PostgresIoTixDbContext"/> only carry their own migrations (Data/Migrations/Sqlite, .../Postgres).
/// ASP.NET Core Identity's user tables (users, user_claims, user_logins, user_tokens) live here too. Every entity
/// implementing <see cref="ITenantScoped"/> is filtered on <see cref="TenantId"/> by convention (<see cref="TenantQueryFilters"/>).
/// </summary>
public abstract class IoTixDbContext : IdentityUserContext<IoTixUser>
{
    protected IoTixDbContext(DbContextOptions options)
        : base(options)
    {
        TenantId = TenantScope.IsSystem ? null : TenantScope.Current;
    }

    /// <summary>The tenant whose rows this context sees and writes; null for host work across tenants.</summary>
    public string? TenantId { get; set; }

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        TenantQueryFilters.Stamp(ChangeTracker, TenantId);
        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        TenantQueryFilters.Stamp(ChangeTracker, TenantId);
        return base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        base.OnModelCreating(modelBuilder);
        IdentityTables.Configure(modelBuilder);
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(IoTixDbContext).Assembly);
        TenantQueryFilters.Apply(modelBuilder, this);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        ArgumentNullException.ThrowIfNull(configurationBuilder);
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
        configurationBuilder.Properties<DateTime?>().HaveConversion<UtcDateTimeConverter>();
    }
}

/// <summary>The model on SQLite (the embedded default).</summary>
internal sealed class SqliteIoTixDbContext(DbContextOptions<SqliteIoTixDbContext> options) : IoTixDbContext(options);

/// <summary>The model on PostgreSQL.</summary>
internal sealed class PostgresIoTixDbContext(DbContextOptions<PostgresIoTixDbContext> options) : IoTixDbContext(options);
