using Microsoft.Extensions.Options;

namespace IoTix.Core.Generators;

/// <summary>Limits of the generators, bound from the <c>IoTix:Generators</c> configuration section.</summary>
public sealed class GeneratorOptions
{
    /// <summary>The configuration section these options bind to.</summary>
    public const string SectionName = "IoTix:Generators";

    /// <summary>Wall-clock limit of one <c>script</c> generator call, in milliseconds (default 50).</summary>
    public int ScriptTimeoutMs { get; set; } = 50;

    /// <summary>Statements one <c>script</c> generator call may execute (default 100,000).</summary>
    public int ScriptMaxStatements { get; set; } = 100_000;

    /// <summary>Memory one <c>script</c> generator call may allocate, in bytes (default 4 MiB).</summary>
    public long ScriptMemoryLimitBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Rows a <c>replay</c> data file may hold (default 10,000,000); longer files fail to load.</summary>
    public int ReplayMaxRows { get; set; } = 10_000_000;
}

/// <summary>Checks <see cref="GeneratorOptions"/> at start-up; messages name the configuration key.</summary>
internal sealed class GeneratorOptionsValidator : IValidateOptions<GeneratorOptions>
{
    public ValidateOptionsResult Validate(string? name, GeneratorOptions options)
    {
        List<string>? failures = null;
        if (options.ScriptTimeoutMs is < 1 or > 60_000)
        {
            (failures ??= []).Add($"{GeneratorOptions.SectionName}:ScriptTimeoutMs must be 1..60000 milliseconds (was {options.ScriptTimeoutMs}).");
        }

        if (options.ScriptMaxStatements < 1)
        {
            (failures ??= []).Add($"{GeneratorOptions.SectionName}:ScriptMaxStatements must be at least 1 (was {options.ScriptMaxStatements}).");
        }

        if (options.ScriptMemoryLimitBytes < 64 * 1024)
        {
            (failures ??= []).Add($"{GeneratorOptions.SectionName}:ScriptMemoryLimitBytes must be at least 65536 (was {options.ScriptMemoryLimitBytes}).");
        }

        if (options.ReplayMaxRows < 1)
        {
            (failures ??= []).Add($"{GeneratorOptions.SectionName}:ReplayMaxRows must be at least 1 (was {options.ReplayMaxRows}).");
        }

        return failures is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
