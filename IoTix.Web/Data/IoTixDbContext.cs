using Microsoft.EntityFrameworkCore;

namespace IoTix.Web.Data;

/// <summary>
/// The IoTix database. Features contribute their entities as <see cref="IEntityTypeConfiguration{TEntity}"/> classes in
/// their own folders (picked up from this assembly) and reach them through their store (one per concern), never
/// through EF calls scattered around. One model, two providers: <see cref="SqliteIoTixDbContext"/> and
/// <see cref="PostgresIoTixDbContext"/> only carry their own migrations (Data/Migrations/Sqlite, .../Postgres).
/// </summary>
public abstract class IoTixDbContext : DbContext
{
    protected IoTixDbContext(DbContextOptions options)
        : base(options)
    {
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(IoTixDbContext).Assembly);
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
