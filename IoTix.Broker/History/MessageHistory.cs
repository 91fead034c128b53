using System.Collections.Concurrent;
using System.Security.Cryptography;
using IoTix.Broker.Security;
using IoTix.Broker.Server;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IoTix.Broker.History;

/// <summary>
/// Queries over <see cref="IHistoryStore"/> and replay jobs. A job loads its query's messages (bounded by
/// <c>Broker:History:MaxReplayMessages</c>), then publishes them in order through the hosted broker under the sender
/// id <see cref="InternalPublisher.ReplayClientId"/>, each at its original offset from the first one (divided by the
/// speed factor when scaled; no waiting when as fast as possible). Offsets are measured on the injected
/// <see cref="TimeProvider"/> from the moment the first message went out, so lateness never accumulates.
/// </summary>
internal sealed partial class MessageHistory : IMessageHistory
{
    private const int LoadPageSize = 1000;

    private readonly HistoryRecorder _recorder;
    private readonly BrokerHostedService _broker;
    private readonly HistoryOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<MessageHistory> _logger;
    private readonly ConcurrentDictionary<string, ReplayJob> _jobs = new(StringComparer.Ordinal);
    private readonly object _jobsLock = new();

    public MessageHistory(HistoryRecorder recorder, BrokerHostedService broker, IOptions<HistoryOptions> options, TimeProvider timeProvider, ILogger<MessageHistory> logger)
    {
        _recorder = recorder;
        _broker = broker;
        _options = options.Value;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public HistoryStatus GetStatus()
    {
        var writer = _recorder.Writer;
        return new HistoryStatus(
            _recorder.IsEnabled,
            _recorder.Filters,
            _options.RetentionPeriod,
            writer?.Written ?? 0,
            writer?.Queued ?? 0,
            writer?.Dropped ?? 0,
            writer?.Skipped ?? 0,
            writer?.StoreUnavailable ?? false);
    }

    public Task<HistoryPage?> QueryAsync(HistoryQuery query, CancellationToken cancellationToken = default) =>
        _recorder.Store is { } store ? store.QueryAsync(query, cancellationToken) : Task.FromResult<HistoryPage?>(null);

    public ReplayStartResult StartReplay(ReplayRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_recorder.Store is null)
        {
            return new ReplayStartResult(null, "message history has no store");
        }

        if (!_broker.IsListening)
        {
            return new ReplayStartResult(null, "the broker is not running");
        }

        if (request.Tenant is { } tenant && request.TargetTopic is { } target && !TenantTopics.IsInside(tenant, target))
        {
            return new ReplayStartResult(null, $"the target topic must start with {TenantTopics.PrefixOf(tenant)} (the tenant's namespace)");
        }

        ReplayJob job;
        lock (_jobsLock)
        {
            var active = 0;
            foreach (var existing in _jobs.Values)
            {
                active += existing.IsFinished ? 0 : 1;
            }

            if (active >= _options.MaxReplayJobs)
            {
                return new ReplayStartResult(null, $"{active} replay jobs are running (Broker:History:MaxReplayJobs); cancel one or wait");
            }

            job = new ReplayJob(NewId(), request, _timeProvider.GetUtcNow());
            _jobs[job.Id] = job;
            ForgetOldJobs();
        }

        job.Task = Task.Run(() => RunAsync(job));
        LogReplayStarted(_logger, job.Id, request.TopicFilter, request.TargetTopic ?? "(original topics)", request.Pace.ToString(), request.Speed);
        return new ReplayStartResult(job.Snapshot(), null);
    }

    public ReplayJobInfo? GetReplay(string id) => _jobs.TryGetValue(id, out var job) ? job.Snapshot() : null;

    public IReadOnlyList<ReplayJobInfo> ListReplays()
    {
        var list = new List<ReplayJobInfo>(_jobs.Count);
        foreach (var job in _jobs.Values)
        {
            list.Add(job.Snapshot());
        }

        list.Sort(static (a, b) => b.CreatedAt.CompareTo(a.CreatedAt));
        return list;
    }

    public bool CancelReplay(string id)
    {
        if (!_jobs.TryGetValue(id, out var job) || job.IsFinished)
        {
            return false;
        }

        job.Cancel();
        return true;
    }

    /// <summary>Waits for a job to finish (tests).</summary>
    internal Task WaitAsync(string id) => _jobs.TryGetValue(id, out var job) && job.Task is { } task ? task : Task.CompletedTask;

    private static string NewId() => "replay-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    private void ForgetOldJobs()
    {
        if (_jobs.Count <= _options.MaxReplayJobs)
        {
            return;
        }

        var finished = new List<ReplayJob>();
        foreach (var job in _jobs.Values)
        {
            if (job.IsFinished)
            {
                finished.Add(job);
            }
        }

        finished.Sort(static (a, b) => a.CreatedAt.CompareTo(b.CreatedAt));
        for (var i = 0; i < finished.Count && _jobs.Count > _options.MaxReplayJobs; i++)
        {
            _jobs.TryRemove(finished[i].Id, out _);
        }
    }

    private async Task RunAsync(ReplayJob job)
    {
        var token = job.Token;
        try
        {
            var messages = await LoadAsync(job, token).ConfigureAwait(false);
            if (messages is null)
            {
                job.Fail("the history store is unavailable", _timeProvider.GetUtcNow());
                LogReplayFailed(_logger, job.Id, "the history store is unavailable");
                return;
            }

            job.Begin(messages.Count, _timeProvider.GetUtcNow());
            await PublishAsync(job, messages, token).ConfigureAwait(false);
            job.Finish(ReplayState.Completed, _timeProvider.GetUtcNow());
            LogReplayFinished(_logger, job.Id, job.Published, job.MaxLagMs);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            job.Finish(ReplayState.Cancelled, _timeProvider.GetUtcNow());
            LogReplayCancelled(_logger, job.Id, job.Published);
        }
        catch (Exception exception)
        {
            job.Fail(exception.Message, _timeProvider.GetUtcNow());
            LogReplayFailed(_logger, job.Id, exception.Message);
        }
    }

    private async Task<List<HistoryMessage>?> LoadAsync(ReplayJob job, CancellationToken cancellationToken)
    {
        var request = job.Request;
        var messages = new List<HistoryMessage>();
        HistoryCursor? after = null;
        while (true)
        {
            var limit = Math.Min(LoadPageSize, _options.MaxReplayMessages - messages.Count + 1);
            var page = await _recorder.Store!.QueryAsync(new HistoryQuery(request.TopicFilter, request.From, request.To, after, 0, limit, request.Tenant), cancellationToken).ConfigureAwait(false);
            if (page is null)
            {
                return null;
            }

            messages.AddRange(page.Items);
            if (messages.Count > _options.MaxReplayMessages)
            {
                messages.RemoveRange(_options.MaxReplayMessages, messages.Count - _options.MaxReplayMessages);
                job.Truncated = true;
                return messages;
            }

            if (page.Next is not { } next)
            {
                return messages;
            }

            after = next;
        }
    }

    private async Task PublishAsync(ReplayJob job, List<HistoryMessage> messages, CancellationToken cancellationToken)
    {
        if (messages.Count == 0)
        {
            return;
        }

        var request = job.Request;
        var speed = request.Pace switch
        {
            ReplayPace.Original => 1.0,
            ReplayPace.Scaled => request.Speed,
            _ => 0.0,
        };
        var first = messages[0].Timestamp;
        long start = 0;
        for (var i = 0; i < messages.Count; i++)
        {
            var stored = messages[i];
            if (speed > 0 && i > 0)
            {
                // Offsets count from the moment the first message went out, so its one-off start-up cost (loading,
                // first publish) does not shift the rest; lateness of one publish never accumulates.
                var target = TimeSpan.FromTicks((long)((stored.Timestamp - first).Ticks / speed));
                var wait = target - _timeProvider.GetElapsedTime(start);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _timeProvider, cancellationToken).ConfigureAwait(false);
                }

                job.RecordLag((_timeProvider.GetElapsedTime(start) - target).TotalMilliseconds);
            }

            cancellationToken.ThrowIfCancellationRequested();
            var message = stored.Message.ToApplicationMessage(request.TargetTopic);
            if (request.Tenant is { } tenant && !TenantTopics.IsInside(tenant, message.Topic))
            {
                throw new InvalidOperationException($"message {stored.Id} (topic '{message.Topic}') is outside the tenant's namespace {TenantTopics.PrefixOf(tenant)}; nothing outside it is replayed");
            }

            if (!await _broker.InjectAsync(message, InternalPublisher.ReplayClientId, cancellationToken).ConfigureAwait(false))
            {
                throw new InvalidOperationException("the broker stopped");
            }

            if (i == 0)
            {
                start = _timeProvider.GetTimestamp();
            }

            job.Published++;
        }
    }

    /// <summary>A job's mutable state; read through <see cref="Snapshot"/>.</summary>
    private sealed class ReplayJob(string id, ReplayRequest request, DateTimeOffset createdAt)
    {
        private readonly CancellationTokenSource _cancel = new();
        private readonly object _lock = new();
        private ReplayState _state = ReplayState.Queued;
        private int _total;
        private int _published;
        private DateTimeOffset? _startedAt;
        private DateTimeOffset? _finishedAt;
        private double _maxLag;
        private double _lagSum;
        private int _lagCount;
        private string? _error;

        public string Id { get; } = id;

        public ReplayRequest Request { get; } = request;

        public DateTimeOffset CreatedAt { get; } = createdAt;

        public Task? Task { get; set; }

        public bool Truncated { get; set; }

        public CancellationToken Token => _cancel.Token;

        public bool IsFinished
        {
            get
            {
                lock (_lock)
                {
                    return _state is ReplayState.Completed or ReplayState.Cancelled or ReplayState.Failed;
                }
            }
        }

        public int Published
        {
            get => Volatile.Read(ref _published);
            set => Volatile.Write(ref _published, value);
        }

        public double MaxLagMs
        {
            get
            {
                lock (_lock)
                {
                    return _maxLag;
                }
            }
        }

        public void Cancel() => _cancel.Cancel();

        public void Begin(int total, DateTimeOffset now)
        {
            lock (_lock)
            {
                _total = total;
                _startedAt = now;
                _state = ReplayState.Running;
            }
        }

        public void RecordLag(double lagMs)
        {
            lock (_lock)
            {
                _maxLag = Math.Max(_maxLag, lagMs);
                _lagSum += lagMs;
                _lagCount++;
            }
        }

        public void Finish(ReplayState state, DateTimeOffset now)
        {
            lock (_lock)
            {
                _state = state;
                _finishedAt = now;
                _startedAt ??= now;
            }

        }

        public void Fail(string error, DateTimeOffset now)
        {
            lock (_lock)
            {
                _error = error;
            }

            Finish(ReplayState.Failed, now);
        }

        public ReplayJobInfo Snapshot()
        {
            lock (_lock)
            {
                return new ReplayJobInfo(Id, Request, _state, _total, Published, Truncated, CreatedAt, _startedAt, _finishedAt, _maxLag, _lagCount == 0 ? 0 : _lagSum / _lagCount, _error);
            }
        }
    }

    [LoggerMessage(EventId = 1921, Level = LogLevel.Information, Message = "Replay {JobId} started: topics {TopicFilter} to {Target}, pace {Pace} (speed {Speed})")]
    private static partial void LogReplayStarted(ILogger logger, string jobId, string topicFilter, string target, string pace, double speed);

    [LoggerMessage(EventId = 1922, Level = LogLevel.Information, Message = "Replay {JobId} finished: {Published} messages, latest publish {MaxLagMs:F1} ms behind its offset")]
    private static partial void LogReplayFinished(ILogger logger, string jobId, int published, double maxLagMs);

    [LoggerMessage(EventId = 1923, Level = LogLevel.Information, Message = "Replay {JobId} cancelled after {Published} messages")]
    private static partial void LogReplayCancelled(ILogger logger, string jobId, int published);

    [LoggerMessage(EventId = 1924, Level = LogLevel.Warning, Message = "Replay {JobId} failed: {Error}")]
    private static partial void LogReplayFailed(ILogger logger, string jobId, string error);
}
