using IoTix.Core.Scheduling;

namespace IoTix.Tests.Core.Scheduling;

public sealed class ScheduleHeapTests
{
    [Fact]
    public void Pop_returns_entries_in_due_order_and_ties_in_insertion_order()
    {
        var heap = new ScheduleHeap(4);
        var random = new Random(7);
        var expected = new List<(long Due, int Slot)>();
        for (int i = 0; i < 5000; i++)
        {
            long due = random.Next(0, 200);
            heap.Push(due, i, 0, WorkKind.Telemetry, 0);
            expected.Add((due, i));
        }

        var ordered = expected.OrderBy(e => e.Due).ThenBy(e => e.Slot).ToList();
        var actual = new List<(long, int)>();
        while (heap.TryPop(out var work))
        {
            actual.Add((work.DueMs, work.Slot));
        }

        Assert.Equal(ordered, actual);
    }

    [Fact]
    public void PeekDueMs_of_empty_heap_is_max_and_pop_fails()
    {
        var heap = new ScheduleHeap();

        Assert.Equal(long.MaxValue, heap.PeekDueMs);
        Assert.False(heap.TryPop(out _));
    }

    [Fact]
    public void Interleaved_push_and_pop_keep_the_minimum_on_top()
    {
        var heap = new ScheduleHeap(4);
        heap.Push(50, 1, 0, WorkKind.Telemetry, 0);
        heap.Push(10, 2, 0, WorkKind.Telemetry, 0);
        Assert.True(heap.TryPop(out var first));
        heap.Push(5, 3, 0, WorkKind.Launch, 9);
        heap.Push(70, 4, 0, WorkKind.Telemetry, 0);

        Assert.True(heap.TryPop(out var second));
        Assert.True(heap.TryPop(out var third));

        Assert.Equal(2, first.Slot);
        Assert.Equal((3, WorkKind.Launch, 9), (second.Slot, second.Kind, second.Arg));
        Assert.Equal(1, third.Slot);
        Assert.Equal(1, heap.Count);
    }
}
