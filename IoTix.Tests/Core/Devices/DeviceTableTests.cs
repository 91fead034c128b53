using IoTix.Core.Devices;

namespace IoTix.Tests.Core.Devices;

/// <summary>The engine's id index (open addressing over the slot array), through the engine's API.</summary>
public sealed class DeviceTableTests
{
    [Fact]
    public async Task After_deleting_every_other_device_the_rest_are_found_and_the_deleted_are_not()
    {
        await using var f = new EngineFixture();
        var model = EngineFixture.Sensor();
        for (int g = 0; g < 20; g++)
        {
            f.CreateGroup(model, 1_000, $"g{g}", $"d-{g}-{{index}}");
        }

        for (int g = 0; g < 20; g += 2)
        {
            Assert.True(f.Engine.DeleteGroup($"g{g}").Succeeded);
        }

        int found = 0, wrong = 0;
        for (int g = 0; g < 20; g++)
        {
            for (int i = 0; i < 1_000; i++)
            {
                string id = $"d-{g}-{i}";
                bool exists = f.Engine.TryGetDevice(id, out var device);
                found += exists ? 1 : 0;
                wrong += exists != (g % 2 == 1) || (exists && device.Id != id) ? 1 : 0;
            }
        }

        Assert.Equal(10_000, found);
        Assert.Equal(0, wrong);
        Assert.Equal(10_000, f.Engine.GetStats().DeviceCount);
    }

    [Fact]
    public async Task A_deleted_id_can_be_created_again_and_reuses_the_freed_slot()
    {
        await using var f = new EngineFixture();
        var model = EngineFixture.Sensor();
        Assert.True(f.Engine.CreateDevice(model, "a").Succeeded);
        Assert.True(f.Engine.CreateDevice(model, "b").Succeeded);
        Assert.True(f.Engine.TryGetDevice("a", out var first));
        int slot = first.Slot;

        Assert.True(f.Engine.DeleteDevice("a").Succeeded);
        bool goneAfterDelete = !f.Engine.TryGetDevice("a", out _);
        var again = f.Engine.CreateDevice(model, "a");

        Assert.True(goneAfterDelete);
        Assert.True(again.Succeeded);
        Assert.True(f.Engine.TryGetDevice("a", out var second));
        Assert.NotSame(first, second);
        Assert.Equal(slot, second.Slot);
        Assert.Equal(EngineErrorCode.AlreadyExists, f.Engine.CreateDevice(model, "b").Error!.Code);
    }

    [Fact]
    public async Task Lookups_from_another_thread_find_existing_devices_while_the_index_grows()
    {
        await using var f = new EngineFixture();
        var model = EngineFixture.Sensor();
        f.CreateGroup(model, 100, "early", "early-{index}");
        using var stop = new CancellationTokenSource();
        long lookups = 0, misses = 0;
        var readerRunning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reader = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                readerRunning.TrySetResult();
                for (int i = 0; i < 100; i++)
                {
                    if (!f.Engine.TryGetDevice($"early-{i}", out var d) || d.Id != $"early-{i}")
                    {
                        misses++;
                    }

                    lookups++;
                }
            }
        });

        // On a loaded machine the reader may not be scheduled at once: the index must grow while it reads.
        await readerRunning.Task.WaitAsync(TimeSpan.FromSeconds(30));
        for (int g = 0; g < 40; g++)
        {
            f.CreateGroup(model, 2_500, $"g{g}", $"g{g}-{{index}}"); // the index grows from 1,024 buckets to 256 Ki
            if (g % 4 == 3)
            {
                f.Engine.DeleteGroup($"g{g - 1}");
            }
        }

        await stop.CancelAsync();
        await reader;

        Assert.True(lookups > 0);
        Assert.Equal(0, misses);
        Assert.Equal(100 + (30 * 2_500), f.Engine.GetStats().DeviceCount);
    }
}
