using IoTix.Core;
using IoTix.Core.Devices;
using IoTix.Core.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IoTix.Tests.Core.Devices;

public sealed class SimulationRegistrationTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddIoTixCore(configuration);
        return services.BuildServiceProvider();
    }

    [Fact]
    public void AddIoTixCore_registers_the_engine_its_hosted_service_and_the_behaviour_check()
    {
        using var provider = Build(new() { ["IoTix:Simulation:Seed"] = "99" });

        var engine = provider.GetRequiredService<SimulationEngine>();

        Assert.Equal(99UL, engine.RunSeed);
        Assert.Contains(provider.GetServices<IHostedService>(), s => s.GetType().Name == "SimulationEngineHostedService");
        Assert.Contains(provider.GetServices<IDeviceModelCheck>(), c => c.GetType().Name == "BehaviorModelCheck");
        Assert.Same(engine, provider.GetRequiredService<SimulationEngine>());
    }

    [Theory]
    [InlineData("SchedulerResolutionMs", "0", "IoTix:Simulation:SchedulerResolutionMs must be 1..1000 milliseconds")]
    [InlineData("TickOverrunWarningMs", "0", "IoTix:Simulation:TickOverrunWarningMs must be 1..600000 milliseconds")]
    [InlineData("MaxDevices", "0", "IoTix:Simulation:MaxDevices must be at least 1")]
    [InlineData("OutboundQueueLimit", "0", "IoTix:Simulation:OutboundQueueLimit must be at least 1")]
    [InlineData("InboundCommandQueueLimit", "-1", "IoTix:Simulation:InboundCommandQueueLimit must be at least 1")]
    public void Invalid_settings_fail_naming_the_config_key(string key, string value, string message)
    {
        using var provider = Build(new() { [$"IoTix:Simulation:{key}"] = value });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<SimulationOptions>>().Value);

        Assert.Contains(error.Failures, f => f.StartsWith(message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_hosted_service_starts_and_stops_the_engine()
    {
        using var provider = Build(new() { ["IoTix:Simulation:Seed"] = "1" });
        var hosted = provider.GetServices<IHostedService>().Single(s => s.GetType().Name == "SimulationEngineHostedService");

        await hosted.StartAsync(CancellationToken.None);
        var timers = provider.GetRequiredService<SimulationEngine>().GetStats().Scheduler.Timers;
        await hosted.StopAsync(CancellationToken.None);

        Assert.Equal(1, timers);
        Assert.NotNull(provider.GetService<ILoggerFactory>());
    }
}
