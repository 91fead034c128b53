using Microsoft.Extensions.Options;

namespace IoTix.Web.Data;

internal sealed class DatabaseOptionsValidator : IValidateOptions<DatabaseOptions>
{
    public ValidateOptionsResult Validate(string? name, DatabaseOptions options)
    {
        var failures = new List<string>();
        var sqlite = DatabaseProviders.IsSqlite(options.Provider);
        if (!sqlite && !DatabaseProviders.IsPostgreSql(options.Provider))
        {
            failures.Add($"Database:Provider '{options.Provider}' is not supported; allowed values: {DatabaseProviders.Sqlite}, {DatabaseProviders.PostgreSql}.");
        }
        else if (!sqlite && string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            failures.Add($"ConnectionStrings:{DatabaseOptions.ConnectionStringName} is required with Database:Provider={DatabaseProviders.PostgreSql} (e.g. \"Host=localhost;Port=5432;Database=iotix;Username=iotix;Password=...\").");
        }

        if (options.RetryAfterSeconds is < 1 or > 3600)
        {
            failures.Add($"Database:RetryAfterSeconds must be between 1 and 3600 (was {options.RetryAfterSeconds}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
