using IoTix.Core.Devices;
using IoTix.Core.Strategies;
using IoTix.Tests.Core.Models;
using IoTix.Tests.Shared;
using IoTix.Tests.Web.Api;
using IoTix.Web.Components.Pages.Groups;
using IoTix.Web.Simulations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace IoTix.Tests.Web.Pages.Groups;

/// <summary>The groups page's view model on the real orchestrator: polling on its own timer, launch ramps, actions.</summary>
public sealed class GroupsViewModelTests : IAsyncLifetime
{
    private readonly IoTixWebFactory _factory = ApiTestHost.CreateFactory(ModelTestSupport.SeedModelsFolder());
    private readonly FakeTimeProvider _time = new();
    private SimulationOrchestrator _simulations = default!;

    public Task InitializeAsync()
    {
        _simulations = _factory.Services.GetRequiredService<SimulationOrchestrator>();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private static async Task Eventually(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(25);
        }

        Assert.True(condition());
    }

    [Fact]
    public void Polls_on_its_timer_while_alive_and_stops_when_disposed()
    {
        using var vm = new GroupsViewModel(_simulations, _time, TimeSpan.FromMilliseconds(500));
        var changes = 0;
        vm.Changed += () => Interlocked.Increment(ref changes);
        vm.Start();

        _time.Advance(TimeSpan.FromMilliseconds(500));
        _time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(2, Volatile.Read(ref changes));

        vm.Dispose();
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(2, Volatile.Read(ref changes));
    }

    [Fact]
    public async Task A_launch_is_traced_against_its_plan_until_it_completes()
    {
        using var vm = new GroupsViewModel(_simulations, _time);
        Assert.Null(await vm.CreateAsync(new DeviceGroupSpec { ModelId = "simple-temperature", Count = 20, GroupId = "vm-ramp" }));
        vm.Start();
        Assert.Null(vm.Ramp("vm-ramp"));

        Assert.Null(await vm.LaunchAsync("vm-ramp", new LaunchStrategy { Strategy = LaunchStrategyKind.Batch, BatchSize = 10, DelayMs = 100 }));
        await Eventually(() =>
        {
            _time.Advance(TimeSpan.FromMilliseconds(500));
            return vm.Ramp("vm-ramp") is { Complete: true };
        });

        var ramp = vm.Ramp("vm-ramp")!;
        Assert.Equal(20, ramp.Planned);
        Assert.Equal(20, ramp.Running);
        Assert.Equal(100, ramp.PlannedDurationMs);
        Assert.Equal(20, ramp.PlannedDevices[^1]);
        Assert.Contains(vm.Groups, g => g.GroupId == "vm-ramp" && g.Stats.DevicesByState["running"] == 20);
    }

    [Fact]
    public async Task Stop_dropout_delete_and_runs_go_through_the_orchestrator()
    {
        using var vm = new GroupsViewModel(_simulations, _time);
        Assert.Null(await vm.CreateAsync(new DeviceGroupSpec { ModelId = "simple-temperature", Count = 10, GroupId = "vm-actions" }));
        Assert.Null(await vm.LaunchAsync("vm-actions", LaunchStrategy.Immediate));
        await Eventually(() =>
        {
            vm.Refresh();
            return vm.Groups.Single(g => g.GroupId == "vm-actions").Stats.RunningDeviceCount == 10;
        });

        var dropout = await vm.DropoutAsync("vm-actions", new DropoutPlan { Strategy = DropoutStrategyKind.Immediate, Count = 3 });
        Assert.True(dropout.Succeeded);
        Assert.Equal(3, dropout.Value!.Devices.Count);
        var stopped = await vm.StopAsync("vm-actions");
        Assert.True(stopped.Succeeded);
        var runs = await vm.RunsAsync("vm-actions");
        Assert.Equal("stopped", Assert.Single(runs!).EndReason);

        Assert.True((await vm.DeleteAsync("vm-actions")).Succeeded);
        Assert.DoesNotContain(vm.Groups, g => g.GroupId == "vm-actions");
        var missing = await vm.CreateAsync(new DeviceGroupSpec { ModelId = "no-such-model", Count = 1 });
        Assert.Equal(EngineErrorCode.NotFound, missing!.Code);
    }

    [Fact]
    public async Task Opening_the_page_after_a_launch_draws_its_whole_ramp_from_the_engine()
    {
        Assert.True((await _simulations.CreateGroupAsync(new DeviceGroupSpec { ModelId = "simple-temperature", Count = 20, GroupId = "vm-late" })).Succeeded);
        Assert.True((await _simulations.StartGroupAsync("vm-late", new LaunchStrategy { Strategy = LaunchStrategyKind.Batch, BatchSize = 10, DelayMs = 300 })).Succeeded);
        await Eventually(() => _simulations.GetGroup("vm-late")!.Stats.RunningDeviceCount == 20);

        // The page opens only now, on a clock that agrees with the host's.
        using var vm = new GroupsViewModel(_simulations, new FakeTimeProvider(DateTimeOffset.UtcNow));
        vm.Start();
        var ramp = vm.Ramp("vm-late");

        Assert.NotNull(ramp);
        Assert.True(ramp.Backfilled);
        Assert.True(ramp.Complete);
        Assert.Equal(LaunchStrategyKind.Batch, ramp.Strategy);
        Assert.Equal(20, ramp.Running);
        Assert.Equal(300, ramp.PlannedDurationMs);
        var observed = ramp.RunningDevices.Where(v => v is not null).Select(v => v!.Value).ToList();
        Assert.True(observed.Count > 2, "the running curve has points before the page opened");
        Assert.Contains(observed, v => v < 20); // the first batch alone, before the second one's slot
        Assert.Equal(20, observed[^1]);
        for (var i = 1; i < observed.Count; i++)
        {
            Assert.True(observed[i] >= observed[i - 1], "the reconstructed ramp never goes down");
        }
    }

    [Fact]
    public async Task After_a_restart_the_last_stored_run_gives_the_plan_and_how_it_ended()
    {
        var data = Directory.CreateTempSubdirectory("iotix-vm-runs-").FullName;
        var settings = new Dictionary<string, string?> { ["IoTix:Simulation:ResumeOnStart"] = "false" };
        try
        {
            await using (var before = ApiTestHost.CreateFactory(ModelTestSupport.SeedModelsFolder(), data, settings))
            {
                var simulations = before.Services.GetRequiredService<SimulationOrchestrator>();
                Assert.True((await simulations.CreateGroupAsync(new DeviceGroupSpec { ModelId = "simple-temperature", Count = 12, GroupId = "vm-stored" })).Succeeded);
                Assert.True((await simulations.StartGroupAsync("vm-stored", new LaunchStrategy { Strategy = LaunchStrategyKind.Linear, DelayMs = 10 })).Succeeded);
                await Eventually(() => simulations.GetGroup("vm-stored")!.Stats.RunningDeviceCount == 12);
                Assert.True((await simulations.StopGroupAsync("vm-stored")).Succeeded);
            }

            await using var after = ApiTestHost.CreateFactory(ModelTestSupport.SeedModelsFolder(), data, settings);
            using var vm = new GroupsViewModel(after.Services.GetRequiredService<SimulationOrchestrator>(), _time);
            vm.Start();
            Assert.Null(vm.Ramp("vm-stored"));

            var runs = await vm.RunsAsync("vm-stored");
            var ramp = vm.Ramp("vm-stored");

            Assert.Single(runs!);
            Assert.NotNull(ramp);
            Assert.True(ramp.Stored);
            Assert.True(ramp.Complete);
            Assert.Equal(runs![0].Id, ramp.RunId);
            Assert.Equal(LaunchStrategyKind.Linear, ramp.Strategy);
            Assert.Equal(12, ramp.Planned);
            Assert.Equal(110, ramp.PlannedDurationMs);
            Assert.Equal(12, ramp.PlannedDevices[^1]);
            Assert.All(ramp.RunningDevices, v => Assert.Null(v));
            Assert.Equal("stopped", ramp.EndReason);
            Assert.Equal(12, ramp.RunningAtEnd);
        }
        finally
        {
            BrokerInstance.DeleteFolder(data);
        }
    }
}
