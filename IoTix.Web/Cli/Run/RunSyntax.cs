using System.Globalization;
using IoTix.Core.Strategies;

namespace IoTix.Web.Cli.Run;

/// <summary>A 1-based shard of a group: devices whose index <c>i</c> satisfies <c>i % Count == Index - 1</c>.</summary>
internal readonly record struct ShardSpec(int Index, int Count)
{
    public static ShardSpec Whole => new(1, 1);

    public bool IsWhole => Count == 1;

    /// <summary>True when the device at global <paramref name="deviceIndex"/> belongs to this shard.</summary>
    public bool Contains(int deviceIndex) => deviceIndex % Count == Index - 1;

    /// <summary>How many of <paramref name="groupCount"/> devices belong to this shard.</summary>
    public int SizeOf(int groupCount) => groupCount <= Index - 1 ? 0 : ((groupCount - Index) / Count) + 1;

    public override string ToString() => $"{Index}/{Count}";
}

/// <summary>
/// The compact value syntaxes of <c>iotix run</c>: durations (<c>500ms</c>, <c>60s</c>, <c>5m</c>,
/// <c>1h</c>), launch strategies (<c>batch:500:1000</c>), dropout plans (<c>linear:20%:500</c>),
/// shards (<c>2/4</c>) and broker endpoints (<c>mqtt://host:port</c>). Errors are values whose
/// message names the option and shows an example.
/// </summary>
internal static class RunSyntax
{
    /// <summary>Parses <c>500ms</c>, <c>60s</c>, <c>1.5s</c>, <c>5m</c>, <c>1h</c> (a bare number is seconds).</summary>
    public static bool TryParseDuration(string option, string? text, out TimeSpan duration, out string? error)
    {
        duration = default;
        var s = text?.Trim() ?? string.Empty;
        double scaleMs;
        string number;
        if (s.EndsWith("ms", StringComparison.OrdinalIgnoreCase))
        {
            (number, scaleMs) = (s[..^2], 1);
        }
        else if (s.EndsWith('s') || s.EndsWith('S'))
        {
            (number, scaleMs) = (s[..^1], 1000);
        }
        else if (s.EndsWith('m') || s.EndsWith('M'))
        {
            (number, scaleMs) = (s[..^1], 60_000);
        }
        else if (s.EndsWith('h') || s.EndsWith('H'))
        {
            (number, scaleMs) = (s[..^1], 3_600_000);
        }
        else
        {
            (number, scaleMs) = (s, 1000);
        }

        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value)
            || !double.IsFinite(value) || value * scaleMs > TimeSpan.FromDays(365).TotalMilliseconds)
        {
            error = $"{option}: '{text}' is not a duration; use a number with ms, s, m or h, e.g. 500ms, 60s, 5m, 1h";
            return false;
        }

        duration = TimeSpan.FromMilliseconds(Math.Round(value * scaleMs));
        error = null;
        return true;
    }

    /// <summary>
    /// Parses <c>immediate</c>, <c>linear:delayMs</c>, <c>batch:batchSize:delayMs</c>,
    /// <c>exponential:delayMs[:exponentBase[:maxDelayMs]]</c>; omitted fields keep the defaults.
    /// </summary>
    public static bool TryParseLaunch(string text, out LaunchStrategy strategy, out string? error)
    {
        strategy = LaunchStrategy.Immediate;
        var parts = text.Trim().Split(':');
        const string Examples = "e.g. immediate, linear:10, batch:500:1000, exponential:1:1.5:60000";
        if (!TryParseLaunchKind(parts[0], out var kind))
        {
            error = $"--launch: unknown strategy '{parts[0]}'; use immediate, linear, batch or exponential ({Examples})";
            return false;
        }

        int maxParts = kind switch
        {
            LaunchStrategyKind.Immediate => 1,
            LaunchStrategyKind.Linear => 2,
            LaunchStrategyKind.Batch => 3,
            _ => 4,
        };
        if (parts.Length > maxParts)
        {
            error = kind switch
            {
                LaunchStrategyKind.Immediate => $"--launch: 'immediate' takes no parameters (got '{text}')",
                LaunchStrategyKind.Linear => $"--launch: linear takes one parameter, linear:delayMs (got '{text}')",
                LaunchStrategyKind.Batch => $"--launch: batch takes batch:batchSize:delayMs (got '{text}')",
                _ => $"--launch: exponential takes exponential:delayMs[:exponentBase[:maxDelayMs]] (got '{text}')",
            };
            return false;
        }

        var defaults = new LaunchStrategy();
        int delayMs = defaults.DelayMs, batchSize = defaults.BatchSize, maxDelayMs = defaults.MaxDelayMs;
        double exponentBase = defaults.ExponentBase;
        error = null;
        bool ok = kind switch
        {
            LaunchStrategyKind.Linear => TryInt(parts, 1, "delayMs", ref delayMs, ref error),
            LaunchStrategyKind.Batch => TryInt(parts, 1, "batchSize", ref batchSize, ref error) && TryInt(parts, 2, "delayMs", ref delayMs, ref error),
            LaunchStrategyKind.Exponential => TryInt(parts, 1, "delayMs", ref delayMs, ref error)
                && TryDouble(parts, 2, "exponentBase", ref exponentBase, ref error)
                && TryInt(parts, 3, "maxDelayMs", ref maxDelayMs, ref error),
            _ => true,
        };
        if (!ok)
        {
            error = $"--launch: {error} in '{text}' ({Examples})";
            return false;
        }

        strategy = new LaunchStrategy { Strategy = kind, DelayMs = delayMs, BatchSize = batchSize, MaxDelayMs = maxDelayMs, ExponentBase = exponentBase };
        return true;
    }

    public static bool TryParseLaunchKind(string text, out LaunchStrategyKind kind)
    {
        switch (text.Trim().ToLowerInvariant())
        {
            case "immediate": kind = LaunchStrategyKind.Immediate; return true;
            case "linear": kind = LaunchStrategyKind.Linear; return true;
            case "batch": kind = LaunchStrategyKind.Batch; return true;
            case "exponential": kind = LaunchStrategyKind.Exponential; return true;
            default: kind = default; return false;
        }
    }

    public static bool TryParseDropoutKind(string text, out DropoutStrategyKind kind)
    {
        switch (text.Trim().ToLowerInvariant())
        {
            case "immediate": kind = DropoutStrategyKind.Immediate; return true;
            case "linear": kind = DropoutStrategyKind.Linear; return true;
            case "exponential": kind = DropoutStrategyKind.Exponential; return true;
            case "random": kind = DropoutStrategyKind.Random; return true;
            default: kind = default; return false;
        }
    }

    /// <summary>
    /// Parses <c>strategy[:amount[:delayMs]]</c> where amount is a device count (<c>50</c>) or a
    /// percentage of the running devices (<c>20%</c>); default amount 10 %. For <c>random</c> the third
    /// field is the window (<c>durationMs</c>) instead of the delay.
    /// </summary>
    public static bool TryParseDropout(string text, out DropoutPlan plan, out string? error)
    {
        plan = new DropoutPlan();
        var parts = text.Trim().Split(':');
        const string Examples = "e.g. linear:20%:500, immediate:50, random:10%:30000";
        if (!TryParseDropoutKind(parts[0], out var kind))
        {
            error = $"--dropout: unknown strategy '{parts[0]}'; use immediate, linear, exponential or random ({Examples})";
            return false;
        }

        if (parts.Length > 3)
        {
            error = $"--dropout: expected strategy[:count-or-percent[:delayMs]] (got '{text}'; {Examples})";
            return false;
        }

        int? count = null;
        double? percentage = 10;
        if (parts.Length > 1)
        {
            var amount = parts[1].Trim();
            if (amount.EndsWith('%'))
            {
                if (!double.TryParse(amount[..^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double pct) || pct is < 0 or > 100)
                {
                    error = $"--dropout: percentage must be 0..100% (got '{amount}' in '{text}')";
                    return false;
                }

                percentage = pct;
            }
            else if (int.TryParse(amount, NumberStyles.None, CultureInfo.InvariantCulture, out int n))
            {
                count = n;
                percentage = null;
            }
            else
            {
                error = $"--dropout: the amount must be a device count (50) or a percentage (20%) (got '{amount}' in '{text}')";
                return false;
            }
        }

        var defaults = new DropoutPlan();
        int delayMs = defaults.DelayMs, durationMs = defaults.DurationMs;
        error = null;
        if (kind == DropoutStrategyKind.Random ? !TryInt(parts, 2, "durationMs", ref durationMs, ref error) : !TryInt(parts, 2, "delayMs", ref delayMs, ref error))
        {
            error = $"--dropout: {error} in '{text}' ({Examples})";
            return false;
        }

        plan = new DropoutPlan { Strategy = kind, Count = count, Percentage = percentage, DelayMs = delayMs, DurationMs = durationMs };
        return true;
    }

    /// <summary>Parses <c>K/N</c> with 1 &lt;= K &lt;= N.</summary>
    public static bool TryParseShard(string text, out ShardSpec shard, out string? error)
    {
        shard = ShardSpec.Whole;
        var parts = text.Trim().Split('/');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int k)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int n))
        {
            error = $"--shard: expected K/N, the K-th of N shards counted from 1, e.g. 2/4 (got '{text}')";
            return false;
        }

        if (n < 1 || k < 1 || k > n)
        {
            error = $"--shard: K must be 1..N and N at least 1 (got '{text}'; shards are counted from 1: 1/4 ... 4/4)";
            return false;
        }

        shard = new ShardSpec(k, n);
        error = null;
        return true;
    }

    /// <summary>
    /// Parses a broker: <c>mqtt://host[:port]</c>, <c>tcp://host[:port]</c>, <c>mqtts://host[:port]</c>
    /// (TLS) or a bare <c>host[:port]</c>; IPv6 hosts in brackets.
    /// </summary>
    public static bool TryParseBroker(string text, out BrokerAddress broker, out string? error)
    {
        broker = default;
        var s = text.Trim();
        bool tls = false;
        int schemeEnd = s.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd >= 0)
        {
            var scheme = s[..schemeEnd].ToLowerInvariant();
            if (scheme is "mqtts" or "ssl")
            {
                tls = true;
            }
            else if (scheme is not ("mqtt" or "tcp"))
            {
                error = $"--broker: scheme '{scheme}' is not supported; use mqtt://host:port, mqtts://host:port or host:port (got '{text}')";
                return false;
            }

            s = s[(schemeEnd + 3)..].TrimEnd('/');
        }

        string host;
        string? portText = null;
        if (s.StartsWith('['))
        {
            int close = s.IndexOf(']', StringComparison.Ordinal);
            host = close < 0 ? string.Empty : s[1..close];
            if (close >= 0 && close + 1 < s.Length)
            {
                portText = s[close + 1] == ':' ? s[(close + 2)..] : "?";
            }
        }
        else
        {
            int colon = s.LastIndexOf(':');
            (host, portText) = colon < 0 ? (s, null) : (s[..colon], s[(colon + 1)..]);
        }

        if (host.Length == 0 || host.Contains('/', StringComparison.Ordinal))
        {
            error = $"--broker: expected mqtt://host:port (got '{text}')";
            return false;
        }

        int? port = null;
        if (portText is not null)
        {
            if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int p) || p is < 1 or > 65535)
            {
                error = $"--broker: port must be 1..65535 (got '{portText}' in '{text}')";
                return false;
            }

            port = p;
        }

        broker = new BrokerAddress(host, port, tls);
        error = null;
        return true;
    }

    private static bool TryInt(string[] parts, int i, string name, ref int value, ref string? error)
    {
        if (parts.Length <= i || parts[i].Length == 0)
        {
            return true;
        }

        if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out value))
        {
            error = $"{name} must be a whole number of 0 or more (got '{parts[i]}')";
            return false;
        }

        return true;
    }

    private static bool TryDouble(string[] parts, int i, string name, ref double value, ref string? error)
    {
        if (parts.Length <= i || parts[i].Length == 0)
        {
            return true;
        }

        if (!double.TryParse(parts[i], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out value))
        {
            error = $"{name} must be a number (got '{parts[i]}')";
            return false;
        }

        return true;
    }
}

/// <summary>A broker given on the command line: host, optional port, TLS for <c>mqtts://</c>.</summary>
internal readonly record struct BrokerAddress(string Host, int? Port, bool Tls)
{
    public override string ToString()
    {
        var host = Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host;
        return $"{(Tls ? "mqtts" : "mqtt")}://{host}{(Port is { } p ? $":{p}" : string.Empty)}";
    }
}
