using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace IoTix.Web.Data;

public static class DataServiceCollectionExtensions
{
    /// <summary>
    /// Registers the IoTix database (<c>Database:*</c>, <c>ConnectionStrings:IoTix</c>, validated at start-up):
    /// <see cref="IDbContextFactory{IoTixDbContext}"/>, a scoped <see cref="IoTixDbContext"/>, and the start-up
    /// migration. Register it before the services that load stored data at start (the broker).
    /// </summary>
    public static IServiceCollection AddIoTixData(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<DatabaseOptions>()
            .Bind(configuration.GetSection(DatabaseOptions.SectionName))
            .Configure(options =>
            {
                var connectionString = configuration.GetConnectionString(DatabaseOptions.ConnectionStringName);
                if (!string.IsNullOrWhiteSpace(connectionString))
                {
                    options.ConnectionString = connectionString;
                }
            })
            .PostConfigure<IHostEnvironment>(static (options, environment) =>
            {
                if (DatabaseProviders.IsSqlite(options.Provider))
                {
                    options.ConnectionString = ResolveSqlite(options.ConnectionString, environment.ContentRootPath);
                }
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DatabaseOptions>, DatabaseOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IoTixDatabase>();
        services.TryAddSingleton<IDbContextFactory<IoTixDbContext>>(static sp => sp.GetRequiredService<IoTixDatabase>());
        services.TryAddScoped(static sp => sp.GetRequiredService<IoTixDatabase>().CreateDbContext());
        services.AddHostedService<DatabaseStartupService>();
        return services;
    }

    /// <summary>Empty: data/iotix.db under the content root; a relative Data Source is taken from the content root.</summary>
    internal static string ResolveSqlite(string? connectionString, string contentRoot)
    {
        var builder = new SqliteConnectionStringBuilder(string.IsNullOrWhiteSpace(connectionString) ? $"Data Source={DatabaseOptions.DefaultSqliteFile}" : connectionString);
        if (!string.IsNullOrEmpty(builder.DataSource)
            && !string.Equals(builder.DataSource, ":memory:", StringComparison.Ordinal)
            && builder.Mode != SqliteOpenMode.Memory
            && !Path.IsPathRooted(builder.DataSource))
        {
            builder.DataSource = Path.GetFullPath(Path.Combine(contentRoot, builder.DataSource));
        }

        return builder.ConnectionString;
    }
}
