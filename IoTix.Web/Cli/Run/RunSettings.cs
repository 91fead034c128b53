using System.Globalization;
using IoTix.Core.Strategies;
using Microsoft.Extensions.Logging;

namespace IoTix.Web.Cli.Run;

/// <summary>How the run shows progress: a live line on a terminal, a plain line every 5 s (CI logs), or nothing.</summary>
internal enum ProgressMode
{
    Auto,
    Live,
    Plain,
    None,
}

/// <summary>Everything <c>iotix run</c> was asked to do, parsed and checked.</summary>
internal sealed class RunSettings
{
    public required string Model { get; init; }

    public int Count { get; init; } = 1;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The group id, fixed so sharded and unsharded runs name devices alike (default: the model id).</summary>
    public string? GroupId { get; init; }

    public string? IdPattern { get; init; }

    public BrokerAddress? Broker { get; init; }

    public string? Url { get; init; }

    public LaunchStrategy Launch { get; init; } = LaunchStrategy.Immediate;

    public DropoutPlan? Dropout { get; init; }

    /// <summary>When the dropout starts, from the run's start; null: when the launch has finished (+1 s).</summary>
    public TimeSpan? DropoutAt { get; init; }

    public long? Seed { get; init; }

    public string? ReportPath { get; init; }

    public double MaxErrorRate { get; init; } = 0.01;

    public int MaxConnectFailures { get; init; }

    public ShardSpec Shard { get; init; } = ShardSpec.Whole;

    public ProgressMode Progress { get; init; } = ProgressMode.Auto;

    public LogLevel LogLevel { get; init; } = LogLevel.Warning;

    /// <summary>How long stopped devices get to disconnect at the end (an interrupted run waits at most 1 s).</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Configuration overrides from <c>--Section:Key=value</c> arguments.</summary>
    public IReadOnlyDictionary<string, string?> ConfigurationOverrides { get; init; } = new Dictionary<string, string?>();
}

/// <summary>The raw values of <c>iotix run</c>'s options, as typed (parsed by <see cref="TryBuild"/>).</summary>
internal sealed class RunArguments
{
    private readonly IReadOnlyDictionary<string, string> _values;

    /// <summary>Raw values by option name (<c>--count</c> -> <c>"5"</c>) and the tokens no option matched.</summary>
    public RunArguments(IReadOnlyDictionary<string, string> values, IReadOnlyList<string>? unmatched = null)
    {
        _values = values;
        Unmatched = unmatched ?? [];
    }

    /// <summary>The options given, by name, as typed.</summary>
    public IReadOnlyDictionary<string, string> Values => _values;

    public string? Model => _values.GetValueOrDefault("--model");
    public string? Count => _values.GetValueOrDefault("--count");
    public string? Duration => _values.GetValueOrDefault("--duration");
    public string? GroupId => _values.GetValueOrDefault("--group-id");
    public string? IdPattern => _values.GetValueOrDefault("--id-pattern");
    public string? Broker => _values.GetValueOrDefault("--broker");
    public string? Url => _values.GetValueOrDefault("--url");
    public string? Launch => _values.GetValueOrDefault("--launch");
    public string? LaunchStrategy => _values.GetValueOrDefault("--launch-strategy");
    public string? LaunchDelayMs => _values.GetValueOrDefault("--launch-delay-ms");
    public string? BatchSize => _values.GetValueOrDefault("--batch-size");
    public string? MaxDelayMs => _values.GetValueOrDefault("--max-delay-ms");
    public string? ExponentBase => _values.GetValueOrDefault("--exponent-base");
    public string? Dropout => _values.GetValueOrDefault("--dropout");
    public string? DropoutStrategy => _values.GetValueOrDefault("--dropout-strategy");
    public string? DropoutCount => _values.GetValueOrDefault("--dropout-count");
    public string? DropoutPercentage => _values.GetValueOrDefault("--dropout-percentage");
    public string? DropoutDelayMs => _values.GetValueOrDefault("--dropout-delay-ms");
    public string? DropoutAt => _values.GetValueOrDefault("--dropout-at");
    public string? ReconnectAfter => _values.GetValueOrDefault("--reconnect-after");
    public string? Seed => _values.GetValueOrDefault("--seed");
    public string? Report => _values.GetValueOrDefault("--report");
    public string? MaxErrorRate => _values.GetValueOrDefault("--max-error-rate");
    public string? MaxConnectFailures => _values.GetValueOrDefault("--max-connect-failures");
    public string? Shard => _values.GetValueOrDefault("--shard");
    public string? Progress => _values.GetValueOrDefault("--progress");
    public string? LogLevel => _values.GetValueOrDefault("--log-level");
    public string? StopTimeout => _values.GetValueOrDefault("--stop-timeout");

    public IReadOnlyList<string> Unmatched { get; }

    /// <summary>Parses and checks every value; on failure returns every problem, each naming its option.</summary>
    public bool TryBuild(out RunSettings settings, out IReadOnlyList<string> errors)
    {
        var problems = new List<string>();
        settings = null!;

        if (string.IsNullOrWhiteSpace(Model))
        {
            problems.Add("--model: required; give a catalog model id (see the model folder) or a model file, e.g. --model simple-temperature or --model my-model.json");
        }

        int count = ParseInt(Count, "--count", 1, 1, problems);
        var duration = TimeSpan.FromSeconds(60);
        if (Duration is not null)
        {
            if (!RunSyntax.TryParseDuration("--duration", Duration, out duration, out var e))
            {
                problems.Add(e!);
            }
            else if (duration <= TimeSpan.Zero)
            {
                problems.Add($"--duration: must be more than 0 (got '{Duration}')");
            }
        }

        BrokerAddress? broker = null;
        if (Broker is not null)
        {
            if (RunSyntax.TryParseBroker(Broker, out var b, out var e))
            {
                broker = b;
            }
            else
            {
                problems.Add(e!);
            }
        }

        if (Url is not null && !Uri.TryCreate(Url, UriKind.Absolute, out _))
        {
            problems.Add($"--url: '{Url}' is not an absolute URL, e.g. coap://127.0.0.1:5683/telemetry or http://127.0.0.1:8080/ingest/${{deviceId}}");
        }

        if (Broker is not null && Url is not null)
        {
            problems.Add("--broker and --url: give one; --broker is for mqtt models, --url for coap and http models");
        }

        var launch = BuildLaunch(problems);
        var dropout = BuildDropout(problems);
        TimeSpan? dropoutAt = null;
        if (DropoutAt is not null)
        {
            if (RunSyntax.TryParseDuration("--dropout-at", DropoutAt, out var at, out var e))
            {
                dropoutAt = at;
            }
            else
            {
                problems.Add(e!);
            }

            if (dropout is null)
            {
                problems.Add("--dropout-at: needs --dropout (or --dropout-strategy)");
            }
        }

        long? seed = null;
        if (Seed is not null)
        {
            if (long.TryParse(Seed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long s))
            {
                seed = s;
            }
            else
            {
                problems.Add($"--seed: must be a 64-bit whole number (got '{Seed}')");
            }
        }

        double maxErrorRate = 0.01;
        if (MaxErrorRate is not null
            && (!double.TryParse(MaxErrorRate, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out maxErrorRate) || maxErrorRate is < 0 or > 1))
        {
            problems.Add($"--max-error-rate: must be a fraction 0..1 of failed messages, e.g. 0.01 for 1 % (got '{MaxErrorRate}')");
        }

        int maxConnectFailures = ParseInt(MaxConnectFailures, "--max-connect-failures", 0, 0, problems);
        var shard = ShardSpec.Whole;
        if (Shard is not null)
        {
            if (!RunSyntax.TryParseShard(Shard, out shard, out var e))
            {
                problems.Add(e!);
            }
            else if (shard.Count > count)
            {
                problems.Add($"--shard: {shard} needs at least {shard.Count} devices (--count is {count}), or every shard would not get one");
            }
        }

        var progress = ProgressMode.Auto;
        if (Progress is not null && !Enum.TryParse(Progress, ignoreCase: true, out progress))
        {
            problems.Add($"--progress: use auto, live, plain or none (got '{Progress}')");
        }

        var logLevel = Microsoft.Extensions.Logging.LogLevel.Warning;
        if (LogLevel is not null && (!Enum.TryParse(LogLevel, ignoreCase: true, out logLevel) || !Enum.IsDefined(logLevel)))
        {
            problems.Add($"--log-level: use trace, debug, information, warning, error, critical or none (got '{LogLevel}')");
        }

        var stopTimeout = TimeSpan.FromSeconds(10);
        if (StopTimeout is not null && !RunSyntax.TryParseDuration("--stop-timeout", StopTimeout, out stopTimeout, out var stopError))
        {
            problems.Add(stopError!);
        }

        var overrides = ParseConfigurationTokens(Unmatched, problems);
        errors = problems;
        if (problems.Count > 0)
        {
            return false;
        }

        settings = new RunSettings
        {
            Model = Model!.Trim(),
            Count = count,
            Duration = duration,
            GroupId = GroupId,
            IdPattern = IdPattern,
            Broker = broker,
            Url = Url,
            Launch = launch!,
            Dropout = dropout,
            DropoutAt = dropoutAt,
            Seed = seed,
            ReportPath = Report,
            MaxErrorRate = maxErrorRate,
            MaxConnectFailures = maxConnectFailures,
            Shard = shard,
            Progress = progress,
            LogLevel = logLevel,
            StopTimeout = stopTimeout,
            ConfigurationOverrides = overrides,
        };
        return true;
    }

    /// <summary>
    /// Configuration overrides: <c>--Section:Key=value</c> (or <c>--Section:Key value</c>); any other
    /// unknown token is an error, so a mistyped option never passes silently.
    /// </summary>
    internal static Dictionary<string, string?> ParseConfigurationTokens(IReadOnlyList<string> tokens, List<string> problems)
    {
        var result = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (!token.StartsWith("--", StringComparison.Ordinal))
            {
                problems.Add($"unexpected argument '{token}'");
                continue;
            }

            var body = token[2..];
            int eq = body.IndexOf('=', StringComparison.Ordinal);
            var key = eq < 0 ? body : body[..eq];
            if (!key.Contains(':', StringComparison.Ordinal))
            {
                problems.Add($"unknown option '{token}' (see iotix run --help; configuration settings are written --Section:Key=value, e.g. --IoTix:Simulation:OutboundQueueLimit=5000)");
                if (eq < 0 && i + 1 < tokens.Count && !tokens[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    i++; // its value
                }

                continue;
            }

            if (eq >= 0)
            {
                result[key] = body[(eq + 1)..];
            }
            else if (i + 1 < tokens.Count && !tokens[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                result[key] = tokens[++i];
            }
            else
            {
                problems.Add($"configuration setting '{token}' has no value; write --{key}=value");
            }
        }

        return result;
    }

    private Core.Strategies.LaunchStrategy? BuildLaunch(List<string> problems)
    {
        var strategy = Core.Strategies.LaunchStrategy.Immediate;
        if (Launch is not null && !RunSyntax.TryParseLaunch(Launch, out strategy, out var error))
        {
            problems.Add(error!);
            return null;
        }

        var kind = strategy.Strategy;
        if (LaunchStrategy is not null && !RunSyntax.TryParseLaunchKind(LaunchStrategy, out kind))
        {
            problems.Add($"--launch-strategy: use immediate, linear, batch or exponential (got '{LaunchStrategy}')");
            return null;
        }

        var result = new Core.Strategies.LaunchStrategy
        {
            Strategy = kind,
            DelayMs = ParseInt(LaunchDelayMs, "--launch-delay-ms", strategy.DelayMs, 0, problems),
            BatchSize = ParseInt(BatchSize, "--batch-size", strategy.BatchSize, 1, problems),
            MaxDelayMs = ParseInt(MaxDelayMs, "--max-delay-ms", strategy.MaxDelayMs, 0, problems),
            ExponentBase = ParseDouble(ExponentBase, "--exponent-base", strategy.ExponentBase, 1, problems),
        };
        if (!result.TryValidate(out var validation))
        {
            problems.Add($"--launch: {validation}");
            return null;
        }

        return result;
    }

    private DropoutPlan? BuildDropout(List<string> problems)
    {
        bool any = Dropout is not null || DropoutStrategy is not null || DropoutCount is not null || DropoutPercentage is not null || DropoutDelayMs is not null;
        if (!any)
        {
            if (ReconnectAfter is not null)
            {
                problems.Add("--reconnect-after: needs --dropout (e.g. --dropout linear:20%:500 --reconnect-after 30s)");
            }

            return null;
        }

        var plan = new DropoutPlan { Percentage = 10 };
        if (Dropout is not null && !RunSyntax.TryParseDropout(Dropout, out plan, out var error))
        {
            problems.Add(error!);
            return null;
        }

        var kind = plan.Strategy;
        if (DropoutStrategy is not null && !RunSyntax.TryParseDropoutKind(DropoutStrategy, out kind))
        {
            problems.Add($"--dropout-strategy: use immediate, linear, exponential or random (got '{DropoutStrategy}')");
            return null;
        }

        int? count = plan.Count;
        double? percentage = plan.Percentage;
        if (DropoutCount is not null)
        {
            count = ParseInt(DropoutCount, "--dropout-count", 0, 0, problems);
            percentage = null;
        }

        if (DropoutPercentage is not null)
        {
            percentage = ParseDouble(DropoutPercentage.TrimEnd('%'), "--dropout-percentage", 0, 0, problems);
            if (DropoutCount is null)
            {
                count = null;
            }
        }

        var reconnectDelay = TimeSpan.Zero;
        if (ReconnectAfter is not null && !RunSyntax.TryParseDuration("--reconnect-after", ReconnectAfter, out reconnectDelay, out var reconnectError))
        {
            problems.Add(reconnectError!);
        }

        var result = new DropoutPlan
        {
            Strategy = kind,
            Count = count,
            Percentage = percentage,
            DelayMs = ParseInt(DropoutDelayMs, "--dropout-delay-ms", plan.DelayMs, 0, problems),
            DurationMs = plan.DurationMs,
            ExponentBase = plan.ExponentBase,
            Reconnect = ReconnectAfter is not null,
            ReconnectDelayMs = (int)Math.Min(reconnectDelay.TotalMilliseconds, int.MaxValue),
        };
        if (!result.TryValidate(out var validation))
        {
            problems.Add($"--dropout: {validation}");
            return null;
        }

        return result;
    }

    private static int ParseInt(string? text, string option, int fallback, int min, List<string> problems)
    {
        if (text is null)
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value) || value < min)
        {
            problems.Add($"{option}: must be a whole number of at least {min} (got '{text}')");
            return fallback;
        }

        return value;
    }

    private static double ParseDouble(string? text, string option, double fallback, double min, List<string> problems)
    {
        if (text is null)
        {
            return fallback;
        }

        if (!double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value) || value < min)
        {
            problems.Add($"{option}: must be a number of at least {min.ToString(CultureInfo.InvariantCulture)} (got '{text}')");
            return fallback;
        }

        return value;
    }
}
