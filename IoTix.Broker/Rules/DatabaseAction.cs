using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace IoTix.Broker.Rules;

/// <summary><c>database</c> (FR-043): one row in the host's rule_events table per message, written in batches by <see cref="RuleEventWriter"/>.</summary>
internal sealed class DatabaseAction(int index, string ruleId, RuleTemplate? payload, TimeProvider timeProvider) : RuleAction(index)
{
    public override string Type => RuleActionTypes.Database;

    public override ValueTask ExecuteAsync(RuleMessage message, int depth)
    {
        if (Runtime.Events is not { } events)
        {
            Counters.Failed("no event store: the host has no IoTix database");
        }
        else if (!events.TryWrite(Render(message), Counters))
        {
            Counters.Dropped();
        }

        return default;
    }

    public override RuleActionPreview Preview(RuleMessage message) =>
        new(Index, Type, "rule_events", Render(message).Payload, null, null);

    private RuleEvent Render(RuleMessage message) => new(
        ruleId,
        message.Topic,
        message.ClientId,
        message.QualityOfService,
        message.Timestamp > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(message.Timestamp) : timeProvider.GetUtcNow(),
        payload is null ? message.PayloadText : payload.Render(message));
}

/// <summary>
/// Writes the events of every database action to <see cref="IRuleEventSink"/> in batches (<c>Broker:Rules:DatabaseBatchSize</c>)
/// from one loop. Bounded queue (<c>Broker:Rules:ActionQueueCapacity</c>), overflow drops new events (counted per rule);
/// a store that answers "unavailable" makes the batch count as failed and is logged once per outage (FR-043a).
/// </summary>
internal sealed class RuleEventWriter : IAsyncDisposable
{
    private readonly Channel<(RuleEvent Event, RuleCounters Counters)> _queue;
    private readonly IRuleEventSink _sink;
    private readonly int _batchSize;
    private readonly TargetHealth _health;
    private readonly List<RuleEvent> _events = [];
    private readonly List<RuleCounters> _owners = [];
    private readonly Task _loop;

    public RuleEventWriter(IRuleEventSink sink, RuleEngineOptions options, ILogger logger)
    {
        _sink = sink;
        _batchSize = options.DatabaseBatchSize;
        _health = new TargetHealth(logger, "*", RuleActionTypes.Database, "rule_events");
        _queue = Channel.CreateBounded<(RuleEvent, RuleCounters)>(new BoundedChannelOptions(options.ActionQueueCapacity) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });
        _loop = Task.Run(WriteLoopAsync);
    }

    /// <summary>False when the queue is full (the caller counts a drop).</summary>
    public bool TryWrite(RuleEvent ruleEvent, RuleCounters counters) => _queue.Writer.TryWrite((ruleEvent, counters));

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
    }

    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            _events.Clear();
            _owners.Clear();
            while (_events.Count < _batchSize && reader.TryRead(out var item))
            {
                _events.Add(item.Event);
                _owners.Add(item.Counters);
            }

            bool written;
            try
            {
                written = await _sink.WriteAsync(_events).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                // A sink must answer false rather than throw; a bug there must not end the writer.
                written = false;
                _health.Failed(exception.Message, _events.Count);
            }

            foreach (var owner in _owners)
            {
                if (written)
                {
                    owner.Succeeded();
                }
                else
                {
                    owner.Failed("the rule_events store is unavailable; events skipped");
                }
            }

            if (written)
            {
                _health.Succeeded();
            }
            else
            {
                _health.Failed("store unavailable", _events.Count);
            }
        }
    }
}
