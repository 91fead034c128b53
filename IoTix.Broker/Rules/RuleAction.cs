using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using MQTTnet;

namespace IoTix.Broker.Rules;

/// <summary>
/// A compiled action of a rule. <see cref="ExecuteAsync"/> runs on an evaluation worker and must not wait on a target:
/// it renders what to send and hands it to the action's own bounded queue (webhook, InfluxDB, database), or injects
/// into the broker (republish, in memory). Loops start only when the rule runs (<see cref="Start"/>); a compiled
/// action used for validation or a dry run never sends anything.
/// </summary>
internal abstract class RuleAction(int index) : IAsyncDisposable
{
    public int Index { get; } = index;

    public abstract string Type { get; }

    public virtual void Start(RuleRuntime runtime, RuleCounters counters)
    {
    }

    public abstract ValueTask ExecuteAsync(RuleMessage message, int depth);

    public abstract RuleActionPreview Preview(RuleMessage message);

    public virtual ValueTask DisposeAsync() => default;
}

/// <summary>What running actions share: the engine's settings, clock, HTTP client, database writer and broker.</summary>
internal sealed class RuleRuntime(RuleEngineOptions options, TimeProvider timeProvider, HttpClient http, ILoggerFactory loggerFactory)
{
    public RuleEngineOptions Options { get; } = options;

    public TimeProvider TimeProvider { get; } = timeProvider;

    public HttpClient Http { get; } = http;

    public ILogger Logger { get; } = loggerFactory.CreateLogger("IoTix.Broker.Rules.Actions");

    /// <summary>Injects a republished message (and queues it for chained rules); false when the broker is not running.</summary>
    public Func<MqttApplicationMessage, int, ValueTask<bool>>? Republish { get; set; }

    /// <summary>The batching writer of database actions; null when the host has no event store.</summary>
    public RuleEventWriter? Events { get; set; }

    /// <summary>A bounded queue for one action's items; when full, new items are dropped and counted on the rule.</summary>
    public Channel<T> CreateQueue<T>(RuleCounters counters, string ruleId, string type, bool singleReader, out OverflowWarning warning)
    {
        var warned = warning = new OverflowWarning(Logger, ruleId, type);
        return Channel.CreateBounded<T>(
            new BoundedChannelOptions(Options.ActionQueueCapacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = singleReader },
            _ =>
            {
                counters.Dropped();
                warned.Once();
            });
    }

    /// <summary>Warns once per overflow episode (reset when the queue has drained).</summary>
    internal sealed class OverflowWarning(ILogger logger, string ruleId, string type)
    {
        private int _warned;

        public void Once()
        {
            if (Interlocked.Exchange(ref _warned, 1) == 0)
            {
                RuleEngineLog.ActionQueueFull(logger, ruleId, type);
            }
        }

        public void Reset() => Volatile.Write(ref _warned, 0);
    }
}
