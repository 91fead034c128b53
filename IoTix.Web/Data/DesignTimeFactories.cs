using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace IoTix.Web.Data;

/// <summary>`dotnet ef migrations add X --context SqliteIoTixDbContext --output-dir Data/Migrations/Sqlite`.</summary>
internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteIoTixDbContext>
{
    public SqliteIoTixDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteIoTixDbContext>().UseSqlite("Data Source=design-time.db").Options);
}

/// <summary>`dotnet ef migrations add X --context PostgresIoTixDbContext --output-dir Data/Migrations/Postgres` (no server needed).</summary>
internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresIoTixDbContext>
{
    public PostgresIoTixDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresIoTixDbContext>().UseNpgsql("Host=localhost;Database=iotix").Options);
}
