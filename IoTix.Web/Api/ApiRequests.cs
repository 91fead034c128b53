using System.Globalization;
using IoTix.Core.Strategies;

namespace IoTix.Web.Api;

/// <summary>Turns request bodies and query strings into engine types, collecting an error per bad field.</summary>
internal static class ApiRequests
{
    public const string LaunchStrategies = "immediate, linear, batch, exponential";

    public const string DropoutStrategies = "immediate, linear, exponential, random";

    /// <summary>A launch configuration from <paramref name="request"/>; unset fields take the seed README's defaults.</summary>
    public static LaunchStrategy? ToLaunch(LaunchRequest request, FieldErrors errors)
    {
        var defaults = LaunchStrategy.Immediate;
        var kind = LaunchStrategyKind.Immediate;
        if (request.Strategy is { } name && !TryParseLaunchKind(name, out kind))
        {
            errors.Add("strategy", $"must be one of {LaunchStrategies} (was '{name}')");
        }

        var delay = request.DelayMs ?? defaults.DelayMs;
        var batch = request.BatchSize ?? defaults.BatchSize;
        var maxDelay = request.MaxDelayMs ?? defaults.MaxDelayMs;
        var exponent = request.ExponentBase ?? defaults.ExponentBase;
        if (delay < 0)
        {
            errors.Add("delayMs", $"must be 0 or more (was {delay})");
        }

        if (batch < 1)
        {
            errors.Add("batchSize", $"must be at least 1 (was {batch})");
        }

        if (maxDelay < 0)
        {
            errors.Add("maxDelayMs", $"must be 0 or more (was {maxDelay})");
        }

        if (!double.IsFinite(exponent) || exponent < 1.0)
        {
            errors.Add("exponentBase", $"must be a number of at least 1 (was {Invariant(exponent)})");
        }

        if (errors.Any)
        {
            return null;
        }

        var launch = new LaunchStrategy { Strategy = kind, DelayMs = delay, BatchSize = batch, MaxDelayMs = maxDelay, ExponentBase = exponent };
        if (!launch.TryValidate(out var error))
        {
            errors.Add(LeadingWord(error!), error!);
            return null;
        }

        return launch;
    }

    /// <summary>A dropout plan from <paramref name="request"/>; unset fields take the seed README's defaults.</summary>
    public static DropoutPlan? ToDropout(DropoutRequest request, FieldErrors errors)
    {
        var defaults = new DropoutPlan();
        var kind = defaults.Strategy;
        if (request.Strategy is { } name && !TryParseDropoutKind(name, out kind))
        {
            errors.Add("strategy", $"must be one of {DropoutStrategies} (was '{name}')");
        }

        if (request.Count is null && request.Percentage is null)
        {
            errors.Add("count", "count or percentage is required");
            errors.Add("percentage", "count or percentage is required");
        }

        if (request.Count is < 0)
        {
            errors.Add("count", $"must be 0 or more (was {request.Count})");
        }

        if (request.Percentage is { } p && (!double.IsFinite(p) || p < 0 || p > 100))
        {
            errors.Add("percentage", $"must be between 0 and 100 (was {Invariant(p)})");
        }

        var delay = request.DelayMs ?? defaults.DelayMs;
        var duration = request.DurationMs ?? defaults.DurationMs;
        var exponent = request.ExponentBase ?? defaults.ExponentBase;
        var reconnectDelay = request.ReconnectDelayMs ?? defaults.ReconnectDelayMs;
        if (delay < 0)
        {
            errors.Add("delayMs", $"must be 0 or more (was {delay})");
        }

        if (duration < 0)
        {
            errors.Add("durationMs", $"must be 0 or more (was {duration})");
        }

        if (!double.IsFinite(exponent) || exponent < 1.0)
        {
            errors.Add("exponentBase", $"must be a number of at least 1 (was {Invariant(exponent)})");
        }

        if (reconnectDelay < 0)
        {
            errors.Add("reconnectDelayMs", $"must be 0 or more (was {reconnectDelay})");
        }

        if (errors.Any)
        {
            return null;
        }

        var plan = new DropoutPlan
        {
            Strategy = kind,
            Count = request.Count,
            Percentage = request.Percentage,
            DelayMs = delay,
            DurationMs = duration,
            ExponentBase = exponent,
            Reconnect = request.Reconnect ?? defaults.Reconnect,
            ReconnectDelayMs = reconnectDelay,
        };
        if (!plan.TryValidate(out var error))
        {
            errors.Add(LeadingWord(error!), error!);
            return null;
        }

        return plan;
    }

    /// <summary>The launch fields of a query string (preview); null when none is given.</summary>
    public static LaunchRequest? LaunchFromQuery(IQueryCollection query, FieldErrors errors)
    {
        if (!HasAny(query, "strategy", "delayMs", "batchSize", "maxDelayMs", "exponentBase"))
        {
            return null;
        }

        return new LaunchRequest
        {
            Strategy = query["strategy"].ToString() is { Length: > 0 } s ? s : null,
            DelayMs = QueryInt(query, "delayMs", errors),
            BatchSize = QueryInt(query, "batchSize", errors),
            MaxDelayMs = QueryInt(query, "maxDelayMs", errors),
            ExponentBase = QueryDouble(query, "exponentBase", errors),
        };
    }

    /// <summary>The dropout fields of a query string (preview).</summary>
    public static DropoutRequest DropoutFromQuery(IQueryCollection query, FieldErrors errors) => new()
    {
        Strategy = query["strategy"].ToString() is { Length: > 0 } s ? s : null,
        Count = QueryInt(query, "count", errors),
        Percentage = QueryDouble(query, "percentage", errors),
        DelayMs = QueryInt(query, "delayMs", errors),
        DurationMs = QueryInt(query, "durationMs", errors),
        ExponentBase = QueryDouble(query, "exponentBase", errors),
        Reconnect = QueryBool(query, "reconnect", errors),
        ReconnectDelayMs = QueryInt(query, "reconnectDelayMs", errors),
    };

    public static int? QueryInt(IQueryCollection query, string name, FieldErrors errors)
    {
        var text = query[name].ToString();
        if (text.Length == 0)
        {
            return null;
        }

        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        errors.Add(name, $"must be a whole number (was '{text}')");
        return null;
    }

    public static double? QueryDouble(IQueryCollection query, string name, FieldErrors errors)
    {
        var text = query[name].ToString();
        if (text.Length == 0)
        {
            return null;
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        errors.Add(name, $"must be a number (was '{text}')");
        return null;
    }

    public static bool? QueryBool(IQueryCollection query, string name, FieldErrors errors)
    {
        var text = query[name].ToString();
        if (text.Length == 0)
        {
            return null;
        }

        if (bool.TryParse(text, out var value))
        {
            return value;
        }

        errors.Add(name, $"must be true or false (was '{text}')");
        return null;
    }

    public static string LaunchName(LaunchStrategyKind kind) => kind switch
    {
        LaunchStrategyKind.Linear => "linear",
        LaunchStrategyKind.Batch => "batch",
        LaunchStrategyKind.Exponential => "exponential",
        _ => "immediate",
    };

    public static string DropoutName(DropoutStrategyKind kind) => kind switch
    {
        DropoutStrategyKind.Immediate => "immediate",
        DropoutStrategyKind.Exponential => "exponential",
        DropoutStrategyKind.Random => "random",
        _ => "linear",
    };

    public static LaunchConfigResponse Describe(LaunchStrategy launch) =>
        new(LaunchName(launch.Strategy), launch.DelayMs, launch.BatchSize, launch.MaxDelayMs, launch.ExponentBase);

    private static bool TryParseLaunchKind(string name, out LaunchStrategyKind kind)
    {
        foreach (var candidate in Enum.GetValues<LaunchStrategyKind>())
        {
            if (string.Equals(LaunchName(candidate), name, StringComparison.OrdinalIgnoreCase))
            {
                kind = candidate;
                return true;
            }
        }

        kind = default;
        return false;
    }

    private static bool TryParseDropoutKind(string name, out DropoutStrategyKind kind)
    {
        foreach (var candidate in Enum.GetValues<DropoutStrategyKind>())
        {
            if (string.Equals(DropoutName(candidate), name, StringComparison.OrdinalIgnoreCase))
            {
                kind = candidate;
                return true;
            }
        }

        kind = default;
        return false;
    }

    private static bool HasAny(IQueryCollection query, params string[] names)
    {
        foreach (var name in names)
        {
            if (query.ContainsKey(name))
            {
                return true;
            }
        }

        return false;
    }

    private static string LeadingWord(string message)
    {
        var space = message.IndexOf(' ', StringComparison.Ordinal);
        return space > 0 ? message[..space] : "$";
    }

    private static string Invariant(double value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// Paging of list endpoints: <c>page</c>/<c>pageSize</c> (1-based) or <c>offset</c>/<c>limit</c>, not both; the
/// size defaults to <c>IoTix:Api:DefaultPageSize</c> and is capped at <c>IoTix:Api:MaxPageSize</c>.
/// </summary>
internal readonly record struct Paging(int Offset, int Limit)
{
    public static Paging? Parse(IQueryCollection query, ApiOptions options, FieldErrors errors)
    {
        var page = ApiRequests.QueryInt(query, "page", errors);
        var pageSize = ApiRequests.QueryInt(query, "pageSize", errors);
        var offset = ApiRequests.QueryInt(query, "offset", errors);
        var limit = ApiRequests.QueryInt(query, "limit", errors);
        if ((page is not null || pageSize is not null) && (offset is not null || limit is not null))
        {
            errors.Add(offset is not null ? "offset" : "limit", "use either page/pageSize or offset/limit, not both");
        }

        if (page is < 1)
        {
            errors.Add("page", $"must be at least 1 (was {page})");
        }

        if (offset is < 0)
        {
            errors.Add("offset", $"must be 0 or more (was {offset})");
        }

        foreach (var (name, size) in (ReadOnlySpan<(string, int?)>)[("pageSize", pageSize), ("limit", limit)])
        {
            if (size is { } n && (n < 1 || n > options.MaxPageSize))
            {
                errors.Add(name, $"must be between 1 and {options.MaxPageSize} (was {n})");
            }
        }

        if (errors.Any)
        {
            return null;
        }

        var take = pageSize ?? limit ?? options.DefaultPageSize;
        var skip = page is { } p ? (int)Math.Min(int.MaxValue, (long)(p - 1) * take) : offset ?? 0;
        return new Paging(skip, take);
    }

    public PageResponse<T> Respond<T>(IReadOnlyList<T> items, int total) =>
        new(items, total, Offset, Limit, (Offset / Limit) + 1, Limit);

    /// <summary>The items of this page out of a whole list.</summary>
    public PageResponse<T> Slice<T>(IReadOnlyList<T> all)
    {
        var items = new List<T>(Math.Max(0, Math.Min(Limit, all.Count - Offset)));
        for (var i = Offset; i < all.Count && items.Count < Limit; i++)
        {
            items.Add(all[i]);
        }

        return Respond<T>(items, all.Count);
    }
}
