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

    /// <summary>Set by <see cref="Start"/>.</summary>
    protected RuleRuntime Runtime { get; private set; } = null!;

    /// <summary>The rule's counters, set by <see cref="Start"/>.</summary>
    protected RuleCounters Counters { get; private set; } = null!;

    public virtual void Start(RuleRuntime runtime, RuleCounters counters)
    {
        Runtime = runtime;
        Counters = counters;
    }

    public abstract ValueTask ExecuteAsync(RuleMessage message, int depth);

    public abstract RuleActionPreview Preview(RuleMessage message);

    public virtual ValueTask DisposeAsync() => default;
}

/// <summary>
/// An action with a remote HTTP target: the worker renders an item and queues it in the action's bounded queue;
/// <see cref="LoopCount"/> loops send from there through the target's resilience pipeline and report each outcome.
/// </summary>
internal abstract class QueuedRuleAction<TItem>(int index, string ruleId, string target, int timeoutMs, int retries, int retryDelayMs) : RuleAction(index)
    where TItem : class
{
    private readonly CancellationTokenSource _stop = new();
    private Channel<TItem>? _queue;
    private TargetHealth? _health;
    private Task[] _loops = [];

    protected string RuleId => ruleId;

    protected RuleHttpTarget Target { get; private set; } = null!;

    protected RuleRuntime.OverflowWarning Overflow { get; private set; } = null!;

    public override void Start(RuleRuntime runtime, RuleCounters counters)
    {
        base.Start(runtime, counters);
        _health = new TargetHealth(runtime.Logger, ruleId, Type, target);
        var loops = LoopCount(runtime);
        _queue = runtime.CreateQueue<TItem>(counters, ruleId, Type, singleReader: loops == 1, out var overflow);
        Overflow = overflow;
        Target = new RuleHttpTarget(runtime, ruleId, target, timeoutMs, retries, retryDelayMs);
        _loops = new Task[loops];
        for (var i = 0; i < _loops.Length; i++)
        {
            _loops[i] = Task.Run(RunLoopAsync);
        }
    }

    public override ValueTask ExecuteAsync(RuleMessage message, int depth)
    {
        var item = Render(message, out var error);
        if (item is null)
        {
            Counters.Failed(error!);
        }
        else
        {
            _queue!.Writer.TryWrite(item);
        }

        return default;
    }

    public override async ValueTask DisposeAsync()
    {
        _queue?.Writer.TryComplete();
        _stop.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await Task.WhenAll(_loops).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Items still waiting for a slow target are given up.
        }

        _stop.Dispose();
    }

    /// <summary>The item to send for <paramref name="message"/>, or null with the reason it cannot be sent.</summary>
    internal abstract TItem? Render(RuleMessage message, out string? error);

    protected abstract int LoopCount(RuleRuntime runtime);

    /// <summary>Sends items from <paramref name="reader"/> until it completes or <paramref name="cancellationToken"/> is cancelled.</summary>
    protected abstract Task SendAsync(ChannelReader<TItem> reader, CancellationToken cancellationToken);

    /// <summary>Counts and logs the outcome of one send of <paramref name="items"/> items (error null: success).</summary>
    protected void Report(string? error, int items)
    {
        if (error is null)
        {
            Counters.Succeeded(items);
            _health!.Succeeded();
        }
        else
        {
            Counters.Failed(error, items);
            _health!.Failed(error, items);
        }
    }

    private async Task RunLoopAsync()
    {
        try
        {
            await SendAsync(_queue!.Reader, _stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Disposed.
        }
    }
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
