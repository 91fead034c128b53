using IoTix.Core.Protocols;
using Microsoft.Extensions.Options;

namespace IoTix.Core.Devices;

/// <summary>Settings of the simulation engine and its scheduler, bound from <c>IoTix:Simulation</c>.</summary>
public sealed class SimulationOptions
{
    public const string SectionName = "IoTix:Simulation";

    /// <summary>Run seed: every random choice (generators, dropout picks, failure modes) derives from it and the device id. Unset: a random seed, reported by <see cref="SimulationEngine.RunSeed"/>.</summary>
    public long? Seed { get; set; }

    /// <summary>Scheduler resolution in milliseconds (default 1): work due within one step runs in one tick.</summary>
    public int SchedulerResolutionMs { get; set; } = 1;

    /// <summary>A tick running or starting late by this many milliseconds is logged as an overrun (default 100).</summary>
    public int TickOverrunWarningMs { get; set; } = 100;

    /// <summary>Most devices this process simulates (default 1,000,000); creating more is refused.</summary>
    public int MaxDevices { get; set; } = 1_000_000;

    /// <summary>Per-connection bound of messages handed to an adapter but not yet sent (default 1000).</summary>
    public int OutboundQueueLimit { get; set; } = 1000;

    /// <summary>What a full outbound queue does: <c>DropNewest</c> (default) or <c>DropOldest</c>.</summary>
    public OutboundOverflow OutboundOverflow { get; set; } = OutboundOverflow.DropNewest;

    /// <summary>Bound of received commands waiting for the scheduler loop (default 10,000); overflow drops the newest and counts it.</summary>
    public int InboundCommandQueueLimit { get; set; } = 10_000;
}

/// <summary>Checks <see cref="SimulationOptions"/> at start-up; messages name the configuration key.</summary>
internal sealed class SimulationOptionsValidator : IValidateOptions<SimulationOptions>
{
    public ValidateOptionsResult Validate(string? name, SimulationOptions options)
    {
        List<string>? failures = null;
        void Fail(string message) => (failures ??= []).Add($"{SimulationOptions.SectionName}:{message}");

        if (options.SchedulerResolutionMs is < 1 or > 1000)
        {
            Fail($"SchedulerResolutionMs must be 1..1000 milliseconds (was {options.SchedulerResolutionMs}).");
        }

        if (options.TickOverrunWarningMs is < 1 or > 600_000)
        {
            Fail($"TickOverrunWarningMs must be 1..600000 milliseconds (was {options.TickOverrunWarningMs}).");
        }

        if (options.MaxDevices < 1)
        {
            Fail($"MaxDevices must be at least 1 (was {options.MaxDevices}).");
        }

        if (options.OutboundQueueLimit < 1)
        {
            Fail($"OutboundQueueLimit must be at least 1 (was {options.OutboundQueueLimit}).");
        }

        if (!Enum.IsDefined(options.OutboundOverflow))
        {
            Fail($"OutboundOverflow must be DropNewest or DropOldest (was {options.OutboundOverflow}).");
        }

        if (options.InboundCommandQueueLimit < 1)
        {
            Fail($"InboundCommandQueueLimit must be at least 1 (was {options.InboundCommandQueueLimit}).");
        }

        return failures is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
