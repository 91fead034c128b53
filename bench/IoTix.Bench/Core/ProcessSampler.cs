using System.Diagnostics;

namespace IoTix.Bench.Core;

/// <summary>Process-level measurements over a window: CPU time, allocations, wall time.</summary>
internal sealed class ProcessSampler
{
    private readonly Process _process = Process.GetCurrentProcess();
    private TimeSpan _cpuStart;
    private long _allocStart;
    private long _wallStart;

    public void Start()
    {
        _process.Refresh();
        _cpuStart = _process.TotalProcessorTime;
        _allocStart = GC.GetTotalAllocatedBytes(precise: true);
        _wallStart = Stopwatch.GetTimestamp();
    }

    public WindowResult Stop(long messages)
    {
        _process.Refresh();
        var cpu = _process.TotalProcessorTime - _cpuStart;
        var alloc = GC.GetTotalAllocatedBytes(precise: true) - _allocStart;
        var wall = Stopwatch.GetElapsedTime(_wallStart);
        return new WindowResult(wall, cpu, alloc, messages);
    }

    /// <summary>Managed heap after a full blocking collection.</summary>
    public static long HeapAfterFullCollection()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    public static long WorkingSet()
    {
        using var p = Process.GetCurrentProcess();
        p.Refresh();
        return p.WorkingSet64;
    }
}

internal readonly record struct WindowResult(TimeSpan Wall, TimeSpan Cpu, long AllocatedBytes, long Messages)
{
    public double CorePercent => 100.0 * Cpu.TotalSeconds / Wall.TotalSeconds;

    public double MessagesPerSecond => Messages / Wall.TotalSeconds;

    public double BytesAllocatedPerMessage => Messages == 0 ? double.NaN : (double)AllocatedBytes / Messages;
}
