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

        var dropout = vm.Dropout("vm-actions", new DropoutPlan { Strategy = DropoutStrategyKind.Immediate, Count = 3 });
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
}
