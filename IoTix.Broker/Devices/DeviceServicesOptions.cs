using Microsoft.Extensions.Options;

namespace IoTix.Broker.Devices;

/// <summary>Settings of the broker's device services: presence, shadows, direct methods (section <c>Broker:Devices</c>).</summary>
public sealed class DeviceServicesOptions
{
    public const string SectionName = "Broker:Devices";

    /// <summary>Runs presence tracking, shadows and direct methods in the broker. <c>Broker:Devices:Enabled</c>.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Most client ids whose presence is kept in memory. Beyond it, a client that disconnects is forgotten at once
    /// (registered devices keep their last seen in the registry). <c>Broker:Devices:PresenceCapacity</c>.
    /// </summary>
    public int PresenceCapacity { get; set; } = 1_000_000;

    /// <summary>
    /// Bound of the queue of shadow requests received over MQTT. When full, a request is answered on its
    /// <c>/rejected</c> topic with code 503 (overflow: reject new). <c>Broker:Devices:ShadowQueueCapacity</c>.
    /// </summary>
    public int ShadowQueueCapacity { get; set; } = 10_000;

    /// <summary>Workers processing shadow requests; one thing's requests always go to the same worker, in order. <c>Broker:Devices:ShadowWorkers</c>.</summary>
    public int ShadowWorkers { get; set; } = 4;

    /// <summary>Largest shadow state document (desired plus reported, UTF-8 JSON) in bytes. <c>Broker:Devices:MaxShadowBytes</c>.</summary>
    public int MaxShadowBytes { get; set; } = 64 * 1024;

    /// <summary>Deepest nesting of objects in a shadow state section. <c>Broker:Devices:MaxShadowDepth</c>.</summary>
    public int MaxShadowDepth { get; set; } = 6;

    /// <summary>Direct method calls waiting for an answer at once; more are refused (busy). <c>Broker:Devices:MaxPendingMethods</c>.</summary>
    public int MaxPendingMethods { get; set; } = 10_000;

    /// <summary>Timeout of a direct method call that names none, in seconds. <c>Broker:Devices:MethodTimeoutSeconds</c>.</summary>
    public int MethodTimeoutSeconds { get; set; } = 30;

    /// <summary>Longest timeout a direct method call may ask for, in seconds. <c>Broker:Devices:MaxMethodTimeoutSeconds</c>.</summary>
    public int MaxMethodTimeoutSeconds { get; set; } = 300;
}

internal sealed class DeviceServicesOptionsValidator : IValidateOptions<DeviceServicesOptions>
{
    public ValidateOptionsResult Validate(string? name, DeviceServicesOptions options)
    {
        var errors = new List<string>();
        Range(errors, "PresenceCapacity", options.PresenceCapacity, 1, 100_000_000);
        Range(errors, "ShadowQueueCapacity", options.ShadowQueueCapacity, 1, 10_000_000);
        Range(errors, "ShadowWorkers", options.ShadowWorkers, 1, 64);
        Range(errors, "MaxShadowBytes", options.MaxShadowBytes, 1024, 16 * 1024 * 1024);
        Range(errors, "MaxShadowDepth", options.MaxShadowDepth, 1, 32);
        Range(errors, "MaxPendingMethods", options.MaxPendingMethods, 1, 1_000_000);
        Range(errors, "MaxMethodTimeoutSeconds", options.MaxMethodTimeoutSeconds, 1, 3600);
        Range(errors, "MethodTimeoutSeconds", options.MethodTimeoutSeconds, 1, options.MaxMethodTimeoutSeconds);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Range(List<string> errors, string key, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            errors.Add($"{DeviceServicesOptions.SectionName}:{key} must be {min}..{max} (was {value})");
        }
    }
}
