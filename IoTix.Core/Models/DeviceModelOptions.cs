using Microsoft.Extensions.Options;

namespace IoTix.Core.Models;

/// <summary>Where device models are loaded from (configuration section <c>IoTix:Models</c>).</summary>
public sealed class DeviceModelOptions
{
    public const string SectionName = "IoTix:Models";

    /// <summary>Environment variable that overrides <see cref="Path"/> (the seed README's name).</summary>
    public const string PathEnvironmentVariable = "DEVICE_MODEL_PATH";

    /// <summary>Folder of model files (*.json, subfolders included); relative to the content root. Default <c>seed-models</c>.</summary>
    public string Path { get; set; } = "seed-models";

    /// <summary>Reload models when files in the folder change (default true).</summary>
    public bool Watch { get; set; } = true;

    /// <summary>Quiet time after the last file event before reloading, in ms (default 300): editors save in several steps.</summary>
    public int ReloadDebounceMs { get; set; } = 300;
}

internal sealed class DeviceModelOptionsValidator : IValidateOptions<DeviceModelOptions>
{
    public ValidateOptionsResult Validate(string? name, DeviceModelOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Path))
        {
            failures.Add($"{DeviceModelOptions.SectionName}:Path (or {DeviceModelOptions.PathEnvironmentVariable}) must name the device model folder, e.g. seed-models.");
        }
        else if (options.Path.AsSpan().IndexOfAny(System.IO.Path.GetInvalidPathChars()) >= 0)
        {
            failures.Add($"{DeviceModelOptions.SectionName}:Path (or {DeviceModelOptions.PathEnvironmentVariable}) contains characters not allowed in a path: '{options.Path}'.");
        }

        if (options.ReloadDebounceMs is < 0 or > 60_000)
        {
            failures.Add($"{DeviceModelOptions.SectionName}:ReloadDebounceMs must be between 0 and 60000 (found {options.ReloadDebounceMs}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
