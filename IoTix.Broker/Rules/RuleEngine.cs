using System.Collections.Concurrent;
using System.Text;
using System.Threading.Channels;
using IoTix.Broker.Server;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Server;

namespace IoTix.Broker.Rules;

/// <summary>
/// Runs the rules off the broker's publish path. The publish hook (installed only while an enabled rule exists) checks
/// the topic against the enabled rules' filters and, on a match, only enqueues the message into a bounded queue
/// (<c>Broker:Rules:QueueCapacity</c>; overflow: <b>drop new</b>, counted and warned, MQTT never waits).
/// <c>Broker:Rules:Workers</c> workers evaluate conditions and run actions; every slow target sits behind its
/// action's own queue. Rules live in a copy-on-write array: changes take a lock, evaluation reads without one.
/// </summary>
internal sealed partial class RuleEngine : IRuleEngine, IHostedService, IAsyncDisposable
{
    /// <summary>Sender client id of messages a rule republishes.</summary>
    public const string SenderClientId = "$iotix-rules";

    private readonly RuleEngineOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<RuleEngine> _logger;
    private readonly IRuleStore? _store;
    private readonly BrokerHostedService _broker;
    private readonly HttpClient _http;
    private readonly RuleRuntime _runtime;
    private readonly Channel<RuleInput> _queue;
    private readonly ConcurrentDictionary<string, RuleCounters> _counters = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private volatile CompiledRule[] _rules = [];
    private MqttServer? _server;
    private bool _hookInstalled;
    private Task[] _workers = [];
    private Task? _loader;
    private long _received;
    private long _dropped;
    private long _evaluations;
    private int _overflowing;
    private int _stopped;
    private volatile bool _loaded;

    public RuleEngine(
        IOptions<RuleEngineOptions> options,
        BrokerHostedService broker,
        TimeProvider timeProvider,
        ILoggerFactory loggerFactory,
        IRuleStore? store = null,
        IRuleEventSink? eventSink = null)
    {
        _options = options.Value;
        _broker = broker;
        _timeProvider = timeProvider;
        _logger = loggerFactory.CreateLogger<RuleEngine>();
        _store = store;
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2), ConnectTimeout = TimeSpan.FromSeconds(10) })
        {
            Timeout = Timeout.InfiniteTimeSpan, // each action's pipeline times its attempts
        };
        _runtime = new RuleRuntime(_options, timeProvider, _http, loggerFactory) { Republish = RepublishAsync };
        if (eventSink is not null)
        {
            _runtime.Events = new RuleEventWriter(eventSink, _options, _runtime.Logger);
        }

        _queue = Channel.CreateBounded<RuleInput>(
            new BoundedChannelOptions(_options.QueueCapacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleWriter = false, SingleReader = false },
            OnDropped);
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_options.Enabled)
        {
            LogDisabled(_logger);
            return;
        }

        _workers = new Task[_options.Workers];
        for (var i = 0; i < _workers.Length; i++)
        {
            _workers[i] = Task.Run(WorkAsync);
        }

        // The broker started before (registration order): attach to its server, then load the stored rules.
        lock (_lock)
        {
            _server = _broker.Server;
            UpdateHook();
        }

        if (!await TryLoadAsync(cancellationToken).ConfigureAwait(false))
        {
            _loader = Task.Run(RetryLoadAsync);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Hosts may stop twice, or stop after disposing (WebApplicationFactory): only the first call works.
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        lock (_lock)
        {
            _server = null;
            UpdateHook();
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _queue.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_workers).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
            if (_loader is not null)
            {
                await _loader.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception exception) when (exception is TimeoutException or OperationCanceledException)
        {
            LogStopTimedOut(_logger, _queue.Reader.Count);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        CompiledRule[] rules;
        lock (_lock)
        {
            rules = _rules;
            _rules = [];
        }

        foreach (var rule in rules)
        {
            await DisposeActionsAsync(rule).ConfigureAwait(false);
        }

        if (_runtime.Events is { } events)
        {
            await events.DisposeAsync().ConfigureAwait(false);
        }

        _http.Dispose();
        _stop.Dispose();
    }

    public IReadOnlyList<RuleFieldError> Validate(RuleDefinition rule)
    {
        var errors = new List<RuleFieldError>();
        RuleCompiler.Compile(rule, _timeProvider, errors);
        return errors;
    }

    public bool TryApply(RuleDefinition rule, out IReadOnlyList<RuleFieldError> errors)
    {
        var problems = new List<RuleFieldError>();
        errors = problems;
        var compiled = RuleCompiler.Compile(rule, _timeProvider, problems);
        if (compiled is null)
        {
            return false;
        }

        var counters = _counters.GetOrAdd(rule.Id, static (_, time) => new RuleCounters(time), _timeProvider);
        compiled.Counters = counters;
        foreach (var action in compiled.Actions)
        {
            action.Start(_runtime, counters);
        }

        CompiledRule? replaced = null;
        lock (_lock)
        {
            var rules = new List<CompiledRule>(_rules.Length + 1);
            foreach (var existing in _rules)
            {
                if (string.Equals(existing.Id, rule.Id, StringComparison.Ordinal))
                {
                    replaced = existing;
                }
                else
                {
                    rules.Add(existing);
                }
            }

            rules.Add(compiled);
            rules.Sort(static (a, b) => string.CompareOrdinal(a.Id, b.Id));
            _rules = [.. rules];
            UpdateHook();
        }

        LogApplied(_logger, rule.Id, rule.Enabled, string.Join(", ", rule.TopicFilters), compiled.Actions.Length);
        if (replaced is not null)
        {
            _ = DisposeActionsAsync(replaced);
        }

        return true;
    }

    public bool Remove(string ruleId)
    {
        CompiledRule? removed = null;
        lock (_lock)
        {
            var rules = new List<CompiledRule>(_rules.Length);
            foreach (var existing in _rules)
            {
                if (string.Equals(existing.Id, ruleId, StringComparison.Ordinal))
                {
                    removed = existing;
                }
                else
                {
                    rules.Add(existing);
                }
            }

            _rules = [.. rules];
            UpdateHook();
        }

        _counters.TryRemove(ruleId, out _);
        if (removed is null)
        {
            return false;
        }

        LogRemoved(_logger, ruleId);
        _ = DisposeActionsAsync(removed);
        return true;
    }

    public IReadOnlyList<RuleStatus> GetRules()
    {
        var rules = _rules;
        var result = new List<RuleStatus>(rules.Length);
        foreach (var rule in rules)
        {
            result.Add(new RuleStatus(rule.Definition, rule.Counters!.Snapshot()));
        }

        return result;
    }

    public RuleCountersSnapshot? GetCounters(string ruleId) =>
        _counters.TryGetValue(ruleId, out var counters) ? counters.Snapshot() : null;

    public RuleEngineSnapshot GetSnapshot()
    {
        var rules = _rules;
        var enabled = 0;
        foreach (var rule in rules)
        {
            enabled += rule.Enabled ? 1 : 0;
        }

        var received = Volatile.Read(ref _received);
        var dropped = Volatile.Read(ref _dropped);
        return new RuleEngineSnapshot(received - dropped, dropped, Volatile.Read(ref _evaluations), _queue.Reader.Count, rules.Length, enabled, _loaded);
    }

    public RuleTestResult Test(RuleDefinition rule, RuleTestMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var errors = new List<RuleFieldError>();
        var compiled = RuleCompiler.Compile(rule, _timeProvider, errors);
        if (compiled is null)
        {
            return new RuleTestResult(errors, false, null, []);
        }

        using var sample = new RuleMessage();
        sample.Reset(message.Topic, new System.Buffers.ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(message.Payload)), message.ClientId, message.UserName, message.Qos, message.Retain, _timeProvider.GetUtcNow().ToUnixTimeMilliseconds());
        sample.RuleId = rule.Id;
        var matched = compiled.Matches(message.Topic);
        bool? passed = compiled.Condition is null ? null : compiled.Condition.IsTrue(sample);
        var previews = new List<RuleActionPreview>(compiled.Actions.Length);
        foreach (var action in compiled.Actions)
        {
            previews.Add(action.Preview(sample));
        }

        return new RuleTestResult(errors, matched, matched ? passed : null, previews);
    }

    /// <summary>Installs the publish hook while the broker runs and some rule is enabled (the hook allocates MQTTnet's event args per message).</summary>
    private void UpdateHook()
    {
        var server = _server ?? _broker.Server;
        if (server is null)
        {
            return;
        }

        var needed = _server is not null && HasEnabledRule(_rules);
        if (needed && !_hookInstalled)
        {
            server.InterceptingPublishAsync += OnPublishAsync;
        }
        else if (!needed && _hookInstalled)
        {
            server.InterceptingPublishAsync -= OnPublishAsync;
        }

        _hookInstalled = needed;
    }

    private static bool HasEnabledRule(CompiledRule[] rules)
    {
        foreach (var rule in rules)
        {
            if (rule.Enabled)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>On the publisher's path: a filter check and an enqueue, nothing else.</summary>
    private Task OnPublishAsync(InterceptingPublishEventArgs args)
    {
        if (!args.ProcessPublish || string.Equals(args.ClientId, SenderClientId, StringComparison.Ordinal))
        {
            // Refused (ACL), or republished by a rule: those are queued by the engine itself, with their chain depth.
            return Task.CompletedTask;
        }

        var topic = args.ApplicationMessage.Topic;
        foreach (var rule in _rules)
        {
            if (rule.Enabled && rule.Matches(topic))
            {
                Enqueue(new RuleInput(args.ApplicationMessage, args.ClientId, args.UserName, _timeProvider.GetUtcNow().ToUnixTimeMilliseconds(), 0));
                break;
            }
        }

        return Task.CompletedTask;
    }

    private void Enqueue(in RuleInput input)
    {
        Interlocked.Increment(ref _received);
        _queue.Writer.TryWrite(input);
    }

    private void OnDropped(RuleInput input)
    {
        Interlocked.Increment(ref _dropped);
        if (Interlocked.Exchange(ref _overflowing, 1) == 0)
        {
            LogQueueFull(_logger, _options.QueueCapacity);
        }
    }

    private async Task WorkAsync()
    {
        var reader = _queue.Reader;
        using var message = new RuleMessage();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var input))
            {
                await EvaluateAsync(message, input).ConfigureAwait(false);
            }

            if (Volatile.Read(ref _overflowing) == 1 && reader.Count == 0)
            {
                Volatile.Write(ref _overflowing, 0);
                LogQueueDrained(_logger, Volatile.Read(ref _dropped));
            }
        }
    }

    private async ValueTask EvaluateAsync(RuleMessage message, RuleInput input)
    {
        message.Reset(input.Message, input.ClientId, input.UserName, input.Timestamp);
        try
        {
            var topic = input.Message.Topic;
            foreach (var rule in _rules)
            {
                if (!rule.Enabled || !rule.Matches(topic))
                {
                    continue;
                }

                Interlocked.Increment(ref _evaluations);
                var counters = rule.Counters!;
                counters.Matched();
                message.RuleId = rule.Id;
                if (rule.Condition is { } condition && !condition.IsTrue(message))
                {
                    continue;
                }

                counters.Passed();
                foreach (var action in rule.Actions)
                {
                    try
                    {
                        await action.ExecuteAsync(message, input.Depth).ConfigureAwait(false);
                    }
                    catch (Exception exception)
                    {
                        // An action reports expected failures on its counters; this is a bug, logged, and the worker goes on.
                        counters.Failed(exception.Message);
                        LogActionError(_logger, exception, rule.Id, action.Type);
                    }
                }
            }
        }
        finally
        {
            message.Clear();
        }
    }

    private async ValueTask<bool> RepublishAsync(MqttApplicationMessage message, int depth)
    {
        var server = _server;
        if (server is null || !server.IsStarted)
        {
            return false;
        }

        await server.InjectApplicationMessage(new InjectedMqttApplicationMessage(message) { SenderClientId = SenderClientId }, CancellationToken.None).ConfigureAwait(false);
        if (depth < _options.MaxChainDepth)
        {
            Enqueue(new RuleInput(message, SenderClientId, null, _timeProvider.GetUtcNow().ToUnixTimeMilliseconds(), depth + 1));
        }

        return true;
    }

    private async Task<bool> TryLoadAsync(CancellationToken cancellationToken)
    {
        if (_store is null)
        {
            _loaded = true;
            return true;
        }

        IReadOnlyList<RuleDefinition>? stored = null;
        try
        {
            stored = await _store.LoadAllAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogLoadFailed(_logger, exception.Message, _options.LoadRetrySeconds);
            return false;
        }

        if (stored is null)
        {
            LogLoadFailed(_logger, "store unavailable", _options.LoadRetrySeconds);
            return false;
        }

        foreach (var rule in stored)
        {
            if (!TryApply(rule, out var errors))
            {
                LogStoredRuleInvalid(_logger, rule.Id, string.Join("; ", errors));
            }
        }

        _loaded = true;
        LogLoaded(_logger, stored.Count);
        return true;
    }

    private async Task RetryLoadAsync()
    {
        var token = _stop.Token;
        try
        {
            do
            {
                await Task.Delay(TimeSpan.FromSeconds(_options.LoadRetrySeconds), _timeProvider, token).ConfigureAwait(false);
            }
            while (!await TryLoadAsync(token).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Stopped before the store came back.
        }
    }

    private async Task DisposeActionsAsync(CompiledRule rule)
    {
        foreach (var action in rule.Actions)
        {
            try
            {
                await action.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                LogActionError(_logger, exception, rule.Id, action.Type);
            }
        }
    }

    private readonly record struct RuleInput(MqttApplicationMessage Message, string? ClientId, string? UserName, long Timestamp, int Depth);
}
