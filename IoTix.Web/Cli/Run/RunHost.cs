using System.Globalization;
using System.Runtime.InteropServices;
using IoTix.Core;
using IoTix.Core.Devices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace IoTix.Web.Cli.Run;

/// <summary>What the run commands take from their surroundings; tests replace parts of it.</summary>
internal sealed class RunEnvironment
{
    public static RunEnvironment Default { get; } = new();

    /// <summary>Extra services after <c>AddIoTixCore</c> (tests: a protocol adapter, a fake clock).</summary>
    public Action<IServiceCollection>? ConfigureServices { get; init; }

    /// <summary>Folder of appsettings.json and the model folder; default: the current directory when it has either, else the program's folder.</summary>
    public string? ContentRoot { get; init; }

    /// <summary>Whether standard output is a terminal; null: detect.</summary>
    public bool? IsTerminal { get; init; }

    /// <summary>Read environment variables into the configuration (default true).</summary>
    public bool UseEnvironmentVariables { get; init; } = true;

    /// <summary>Handle SIGINT/SIGTERM in the run itself (default true; tests invoking in process turn it off).</summary>
    public bool HandleSignals { get; init; } = true;

    /// <summary>Called after each progress sample (tests wait on it).</summary>
    public Action<RunProgressSnapshot>? OnProgress { get; init; }

    /// <summary>Starts the shard processes of <c>run-sharded</c>; default: child processes of this program.</summary>
    public IShardLauncher? ShardLauncher { get; init; }

    public bool DetectTerminal(TextWriter output) =>
        IsTerminal ?? (ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected
            && !string.Equals(Environment.GetEnvironmentVariable("TERM"), "dumb", StringComparison.Ordinal));

    public string ResolveContentRoot()
    {
        if (ContentRoot is not null)
        {
            return Path.GetFullPath(ContentRoot);
        }

        var current = Directory.GetCurrentDirectory();
        return File.Exists(Path.Combine(current, "appsettings.json")) || Directory.Exists(Path.Combine(current, "seed-models"))
            ? current
            : AppContext.BaseDirectory;
    }
}

/// <summary>
/// The small host of a headless run: the simulation core only (no Kestrel, no broker, no console),
/// configured from appsettings.json, then environment variables (so <c>MQTT_BROKER_HOST</c>,
/// <c>DEVICE_MODEL_PATH</c>, <c>IoTix__Simulation__Seed</c> apply), then <c>--Section:Key=value</c>
/// arguments, then the run's own options (<c>--seed</c>, <c>--broker</c>), which win.
/// </summary>
internal static class RunHost
{
    public static IHost Build(RunSettings settings, RunEnvironment environment, IReadOnlyDictionary<string, string?>? extra = null)
    {
        var contentRoot = environment.ResolveContentRoot();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = contentRoot,
            EnvironmentName = Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") ?? Environments.Production,
        });
        builder.Configuration.AddJsonFile(Path.Combine(contentRoot, "appsettings.json"), optional: true, reloadOnChange: false);
        if (environment.UseEnvironmentVariables)
        {
            builder.Configuration.AddEnvironmentVariables();
        }

        builder.Configuration.AddInMemoryCollection(settings.ConfigurationOverrides);
        builder.Configuration.AddInMemoryCollection(DerivedSettings(settings));
        if (extra is not null)
        {
            builder.Configuration.AddInMemoryCollection(extra);
        }

        builder.Logging.SetMinimumLevel(settings.LogLevel);
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);

        builder.Services.AddIoTixCore(builder.Configuration);

        // The run owns Ctrl-C (it stops the devices and still reports): no console lifetime competing for the signals.
        builder.Services.AddSingleton<IHostLifetime, RunHostLifetime>();
        environment.ConfigureServices?.Invoke(builder.Services);
        return builder.Build();
    }

    /// <summary>
    /// Settings the run's options imply. <c>--broker</c> sets <c>IoTix:Simulation:BrokerHost</c>/<c>BrokerPort</c>
    /// and the <c>MQTT_BROKER_HOST</c>/<c>MQTT_BROKER_PORT</c> keys the endpoint resolution prefers, so the
    /// command line wins over the environment.
    /// </summary>
    internal static Dictionary<string, string?> DerivedSettings(RunSettings settings)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["IoTix:Models:Watch"] = "false",
        };
        if (settings.Seed is { } seed)
        {
            values[$"{SimulationOptions.SectionName}:Seed"] = seed.ToString(CultureInfo.InvariantCulture);
        }

        if (settings.Broker is { } broker)
        {
            values[$"{SimulationOptions.SectionName}:BrokerHost"] = broker.Host;
            values["MQTT_BROKER_HOST"] = broker.Host;
            if (broker.Port is { } port)
            {
                values[$"{SimulationOptions.SectionName}:BrokerPort"] = port.ToString(CultureInfo.InvariantCulture);
                values["MQTT_BROKER_PORT"] = port.ToString(CultureInfo.InvariantCulture);
            }
        }

        return values;
    }
}

/// <summary>A host lifetime that leaves process signals to the run (see <see cref="RunSignals"/>).</summary>
internal sealed class RunHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>
/// Turns SIGINT (Ctrl-C) and SIGTERM into cancellation of a run, so it stops its devices, prints its
/// summary and writes its report before exiting with 130. Disposing removes the handlers.
/// </summary>
internal sealed class RunSignals : IDisposable
{
    private readonly CancellationTokenSource _cancellation;
    private readonly PosixSignalRegistration[] _registrations;

    public RunSignals(CancellationToken cancellationToken)
    {
        _cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
        ];
    }

    public CancellationToken Token => _cancellation.Token;

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        _cancellation.Cancel();
    }

    public void Dispose()
    {
        foreach (var r in _registrations)
        {
            r.Dispose();
        }

        _cancellation.Dispose();
    }
}
