using System.Globalization;

namespace IoTix.Bench.Broker;

/// <summary>CPU time and resident memory of another process, read from /proc (Linux only).</summary>
internal sealed class ProcessStats(int pid)
{
    private const double TicksPerSecond = 100.0; // sysconf(_SC_CLK_TCK) on Linux

    public int Pid { get; } = pid;

    /// <summary>utime + stime of the process (all threads), in milliseconds; 10 ms resolution.</summary>
    public double CpuMilliseconds()
    {
        var stat = File.ReadAllText($"/proc/{Pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // fields[0] is field 3 (state); utime is field 14, stime field 15.
        var utime = long.Parse(fields[11], CultureInfo.InvariantCulture);
        var stime = long.Parse(fields[12], CultureInfo.InvariantCulture);
        return (utime + stime) * 1000.0 / TicksPerSecond;
    }

    /// <summary>VmRSS in KiB.</summary>
    public long RssKib() => ReadStatusKib("VmRSS:");

    public int Threads() => (int)ReadStatusKib("Threads:");

    public bool IsAlive() => Directory.Exists($"/proc/{Pid}");

    private long ReadStatusKib(string key)
    {
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith(key, StringComparison.Ordinal))
            {
                var value = line[key.Length..].Trim();
                var space = value.IndexOf(' ', StringComparison.Ordinal);
                return long.Parse(space < 0 ? value : value[..space], CultureInfo.InvariantCulture);
            }
        }

        return -1;
    }
}

/// <summary>Machine-wide busy CPU time from /proc/stat (all cores), to show how much other processes used.</summary>
internal static class MachineCpu
{
    public static double BusyMilliseconds()
    {
        using var reader = new StreamReader("/proc/stat");
        var fields = reader.ReadLine()!.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // cpu user nice system idle iowait irq softirq steal ...
        long busy = 0;
        foreach (var index in new[] { 1, 2, 3, 6, 7, 8 })
        {
            busy += long.Parse(fields[index], CultureInfo.InvariantCulture);
        }

        return busy * 10.0;
    }
}
