using IoTix.Core.Devices;
using IoTix.Core.Scheduling;
using IoTix.Tests.Core.Devices;
using IoTix.Tests.Shared;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace IoTix.Tests.Core.Scheduling;

public sealed class SimulationSchedulerTests
{
    [Fact]
    public void Due_work_runs_synchronously_in_time_order_when_the_fake_clock_advances()
    {
        var time = new FakeTimeProvider();
        using var scheduler = new SimulationScheduler(time, 1, 100, new ListLogger<SimulationScheduler>());
        var handler = new RecordingHandler(scheduler);
        scheduler.Start(handler);
        lock (scheduler.Gate)
        {
            scheduler.Schedule(300, 3, 0, WorkKind.Telemetry);
            scheduler.Schedule(100, 1, 0, WorkKind.Telemetry);
            scheduler.Schedule(200, 2, 0, WorkKind.Telemetry);
            scheduler.Schedule(200, 4, 0, WorkKind.Telemetry);
            scheduler.Arm();
        }

        time.Advance(TimeSpan.FromMilliseconds(250));
        var afterFirst = handler.Fired.ToList();
        time.Advance(TimeSpan.FromMilliseconds(100));

        Assert.Equal([(100L, 1, 250L), (200L, 2, 250L), (200L, 4, 250L)], afterFirst);
        Assert.Equal((300L, 3, 350L), handler.Fired[^1]);
    }

    [Fact]
    public void Work_scheduled_from_a_due_entry_runs_in_the_same_advance()
    {
        var time = new FakeTimeProvider();
        using var scheduler = new SimulationScheduler(time, 1, 100, new ListLogger<SimulationScheduler>());
        var handler = new RecordingHandler(scheduler) { RescheduleEveryMs = 10 };
        scheduler.Start(handler);
        lock (scheduler.Gate)
        {
            scheduler.Schedule(0, 1, 0, WorkKind.Telemetry);
            scheduler.Arm();
        }

        time.Advance(TimeSpan.FromMilliseconds(95));

        Assert.Equal(Enumerable.Range(0, 10).Select(i => i * 10L), handler.Fired.Select(f => f.Due));
    }

    [Fact]
    public async Task Thousands_of_devices_share_one_timer()
    {
        var time = new CountingTimeProvider();
        await using var fixture = new EngineFixture(time: time);
        fixture.CreateGroup(EngineFixture.Sensor(intervalMs: 100), 2000);

        fixture.Engine.StartGroup("g");
        fixture.Advance(1000);

        Assert.Equal(1, time.TimersCreated);
        Assert.Equal(1, fixture.Engine.GetStats().Scheduler.Timers);
        Assert.Equal(2000 * 11, fixture.Adapter.PublishedCount);
    }

    [Fact]
    public void A_tick_longer_than_the_threshold_is_logged_as_an_overrun()
    {
        var time = new SlowTickTimeProvider(TimeSpan.FromMilliseconds(250));
        var logger = new ListLogger<SimulationScheduler>();
        using var scheduler = new SimulationScheduler(time, 1, 100, logger);
        scheduler.Start(new RecordingHandler(scheduler));
        lock (scheduler.Gate)
        {
            scheduler.Schedule(10, 1, 0, WorkKind.Telemetry);
            scheduler.Arm();
        }

        time.Advance(TimeSpan.FromMilliseconds(20));

        var entry = logger.Entries.First(e => e.Id.Id == 2000);
        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.Contains("overran", entry.Message, StringComparison.Ordinal);
        Assert.True(scheduler.OverrunCount >= 1);
    }

    [Fact]
    public void A_fast_tick_is_not_logged_as_an_overrun()
    {
        var time = new FakeTimeProvider();
        var logger = new ListLogger<SimulationScheduler>();
        using var scheduler = new SimulationScheduler(time, 1, 100, logger);
        scheduler.Start(new RecordingHandler(scheduler));
        lock (scheduler.Gate)
        {
            scheduler.Schedule(10, 1, 0, WorkKind.Telemetry);
            scheduler.Arm();
        }

        time.Advance(TimeSpan.FromMilliseconds(20));

        Assert.DoesNotContain(logger.Entries, e => e.Id.Id == 2000);
        Assert.Equal(0, scheduler.OverrunCount);
    }

    [Fact]
    public async Task Steady_telemetry_ticks_allocate_nothing()
    {
        await using var fixture = new EngineFixture();
        fixture.Adapter.RecordPayloads = false;
        fixture.CreateGroup(EngineFixture.Sensor(intervalMs: 10), 200);
        fixture.Engine.StartGroup("g");
        fixture.Advance(1000); // warm up: buffers grown, heap sized, JIT done

        long before = GC.GetAllocatedBytesForCurrentThread();
        fixture.Advance(1000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(200 * 201, fixture.Adapter.PublishedCount);
        // 20,000 fires; the fake clock itself allocates a little per timer wake-up (100 wake-ups).
        Assert.True(allocated < 64 * 1024, $"allocated {allocated} bytes for 20,000 fires");
    }

    private sealed class RecordingHandler(SimulationScheduler scheduler) : IScheduledWorkHandler
    {
        public List<(long Due, int Slot, long ObservedNow)> Fired { get; } = [];

        public int RescheduleEveryMs { get; init; }

        private long _now;

        public void OnTickStart(long nowMs) => _now = nowMs;

        public void OnDue(in ScheduledWork work)
        {
            Fired.Add((work.DueMs, work.Slot, _now));
            if (RescheduleEveryMs > 0)
            {
                scheduler.Schedule(work.DueMs + RescheduleEveryMs, work.Slot, 0, WorkKind.Telemetry);
            }
        }
    }

    private sealed class CountingTimeProvider : FakeTimeProvider
    {
        public int TimersCreated { get; private set; }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            TimersCreated++;
            return base.CreateTimer(callback, state, dueTime, period);
        }
    }

    /// <summary>Every timestamp read is 'later' by <c>step</c>: each tick appears to take that long.</summary>
    private sealed class SlowTickTimeProvider(TimeSpan step) : FakeTimeProvider
    {
        private long _extra;

        public override long GetTimestamp() => base.GetTimestamp() + (_extra += step.Ticks);
    }
}
