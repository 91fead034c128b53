using Microsoft.Extensions.Options;

namespace IoTix.Web.Devices;

/// <summary>Settings of the device registry (section <c>IoTix:Registry</c>).</summary>
public sealed class DeviceRegistryOptions
{
    public const string SectionName = "IoTix:Registry";

    /// <summary>How often the broker's presence of registered devices (online, last seen) is written to the registry, in seconds. <c>IoTix:Registry:StatusFlushSeconds</c>.</summary>
    public int StatusFlushSeconds { get; set; } = 10;
}

internal sealed class DeviceRegistryOptionsValidator : IValidateOptions<DeviceRegistryOptions>
{
    public ValidateOptionsResult Validate(string? name, DeviceRegistryOptions options) =>
        options.StatusFlushSeconds is < 1 or > 3600
            ? ValidateOptionsResult.Fail($"{DeviceRegistryOptions.SectionName}:StatusFlushSeconds must be 1..3600 (was {options.StatusFlushSeconds})")
            : ValidateOptionsResult.Success;
}
