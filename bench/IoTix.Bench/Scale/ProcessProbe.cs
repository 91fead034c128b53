using System.Diagnostics;
using System.Globalization;

namespace IoTix.Bench.Scale;

/// <summary>Process-level readings from /proc/self: resident memory, CPU time, threads, file descriptors.</summary>
internal static class ProcessProbe
{
    /// <summary>VmRSS in bytes.</summary>
    public static long ResidentBytes() => ReadStatusKb("VmRSS:") * 1024;

    /// <summary>VmHWM (peak resident) in bytes.</summary>
    public static long PeakResidentBytes() => ReadStatusKb("VmHWM:") * 1024;

    public static int Threads() => (int)ReadStatusKb("Threads:");

    public static int OpenFiles()
    {
        try
        {
            return Directory.GetFiles("/proc/self/fd").Length;
        }
        catch (IOException)
        {
            return -1;
        }
    }

    /// <summary>User + system CPU time of this process.</summary>
    public static TimeSpan CpuTime()
    {
        using var p = Process.GetCurrentProcess();
        return p.TotalProcessorTime;
    }

    public static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Trim();
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static long ReadStatusKb(string key)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(key, StringComparison.Ordinal))
            {
                var parts = line[key.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.Parse(parts[0], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}

/// <summary>A CPU window: CPU time of this process over wall time.</summary>
internal sealed class CpuWindow
{
    private readonly TimeSpan _cpu0 = ProcessProbe.CpuTime();
    private readonly long _t0 = Stopwatch.GetTimestamp();

    public double Seconds => Stopwatch.GetElapsedTime(_t0).TotalSeconds;

    public double CpuSeconds => (ProcessProbe.CpuTime() - _cpu0).TotalSeconds;

    /// <summary>Percent of one core.</summary>
    public double CorePercent => 100.0 * CpuSeconds / Seconds;
}
