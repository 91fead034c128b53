using IoTix.Web.Audit;
using System.Text;
using IoTix.Broker.History;
using IoTix.Broker.Security;
using IoTix.Web.Api;
using IoTix.Web.History;
using IoTix.Web.Tenancy;

namespace IoTix.Web.Components.Pages.Broker;

/// <summary>
/// The History page: filter (topic filter, time range), pages of captured messages (forward by cursor, back through
/// the cursors seen), and a replay of the current filter with pace and progress.
/// </summary>
public sealed class HistoryViewModel(TenantMessageData history, ConsoleAudit? audit = null)
{
    /// <summary>The signed-in user's tenant (set by the page): its messages and replays only.</summary>
    public string TenantId { get; set; } = Tenants.Default;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Start cursor of each page shown so far (null: the first page).</summary>
    private readonly List<HistoryCursor?> _pageStarts = [null];
    private HistoryCursor? _next;

    public string Topic { get; set; } = "#";

    public DateTime? From { get; set; }

    public DateTime? To { get; set; }

    public int PageSize { get; set; } = 50;

    public bool Loading { get; private set; }

    /// <summary>Why the filter could not be applied, or that the store is unavailable; null when fine.</summary>
    public string? Error { get; private set; }

    public HistoryStatus Status { get; private set; } = history.GetStatus();

    public IReadOnlyList<HistoryMessage> Items { get; private set; } = [];

    /// <summary>1-based number of the page shown.</summary>
    public int PageNumber => _pageStarts.Count;

    public bool HasNext => _next is not null;

    public bool HasPrevious => _pageStarts.Count > 1;

    public HistoryMessage? Selected { get; set; }

    // Replay dialog.
    public bool ReplayOpen { get; set; }

    public string ReplayTargetTopic { get; set; } = "";

    public ReplayPace ReplayPace { get; set; } = ReplayPace.Original;

    public double ReplaySpeed { get; set; } = 2.0;

    public string? ReplayError { get; set; }

    public ReplayJobInfo? Job { get; private set; }

    /// <summary>Share of the job's messages published, 0..100.</summary>
    public double Progress => Job is { Total: > 0 } job ? 100.0 * job.Published / job.Total : Job is { State: ReplayState.Completed } ? 100 : 0;

    public bool JobRunning => Job is { State: ReplayState.Queued or ReplayState.Running };

    /// <summary>Applies the filter and shows its first page.</summary>
    public Task SearchAsync(CancellationToken cancellationToken = default)
    {
        _pageStarts.Clear();
        _pageStarts.Add(null);
        return LoadPageAsync(cancellationToken);
    }

    public Task NextAsync(CancellationToken cancellationToken = default)
    {
        if (_next is null)
        {
            return Task.CompletedTask;
        }

        _pageStarts.Add(_next);
        return LoadPageAsync(cancellationToken);
    }

    public Task PreviousAsync(CancellationToken cancellationToken = default)
    {
        if (_pageStarts.Count <= 1)
        {
            return Task.CompletedTask;
        }

        _pageStarts.RemoveAt(_pageStarts.Count - 1);
        return LoadPageAsync(cancellationToken);
    }

    /// <summary>Opens the replay dialog for the current filter.</summary>
    public void OpenReplay()
    {
        ReplayError = null;
        ReplayOpen = true;
    }

    /// <summary>Starts a replay of the current filter; false (with <see cref="ReplayError"/>) when refused.</summary>
    public bool StartReplay()
    {
        var errors = new FieldErrors();
        var body = new ReplayRequestBody
        {
            Topic = Topic.Trim(),
            From = Utc(From),
            To = Utc(To),
            TargetTopic = string.IsNullOrWhiteSpace(ReplayTargetTopic) ? null : ReplayTargetTopic.Trim(),
            Pace = HistoryEndpoints.PaceName(ReplayPace),
            Speed = ReplayPace == ReplayPace.Scaled ? ReplaySpeed : null,
        };
        var request = HistoryEndpoints.ToReplay(body, TenantId, errors);
        if (request is null)
        {
            ReplayError = errors.Summary();
            return false;
        }

        var started = history.StartReplay(TenantId, request);
        audit.Audit("replay.start", started.Job?.Id ?? body.Topic, started.Job is null ? started.Error ?? "refused" : null, $"topic {body.Topic}, pace {body.Pace}" + (body.TargetTopic is null ? "" : $", to {body.TargetTopic}"));
        if (started.Job is null)
        {
            ReplayError = started.Error;
            return false;
        }

        Job = started.Job;
        ReplayError = null;
        return true;
    }

    /// <summary>Reads the job's progress again; true when it changed.</summary>
    public bool RefreshJob()
    {
        if (Job is null || history.GetReplay(TenantId, Job.Id) is not { } current || current == Job)
        {
            return false;
        }

        Job = current;
        return true;
    }

    public void CancelReplay()
    {
        if (Job is { } job)
        {
            history.CancelReplay(TenantId, job.Id);
            audit.Audit("replay.cancel", job.Id);
            RefreshJob();
        }
    }

    /// <summary>A payload for the table: UTF-8 text, else hex; at most <paramref name="length"/> characters.</summary>
    public static string Preview(byte[] payload, int length = 80)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (payload.Length == 0)
        {
            return "(empty)";
        }

        string text;
        try
        {
            text = StrictUtf8.GetString(payload).ReplaceLineEndings(" ");
        }
        catch (DecoderFallbackException)
        {
            text = Convert.ToHexString(payload);
        }

        return text.Length <= length ? text : string.Concat(text.AsSpan(0, length), "...");
    }

    public static string PaceLabel(ReplayPace pace) => pace switch
    {
        ReplayPace.Scaled => "Scaled (speed factor)",
        ReplayPace.AsFastAsPossible => "As fast as possible",
        _ => "Original pace",
    };

    private static DateTimeOffset? Utc(DateTime? value) =>
        value is { } v ? new DateTimeOffset(DateTime.SpecifyKind(v, DateTimeKind.Utc)) : null;

    private async Task LoadPageAsync(CancellationToken cancellationToken)
    {
        Status = history.GetStatus();
        var topic = Topic.Trim();
        if (!MqttTopicMatch.IsValidFilter(topic, out var problem))
        {
            Error = problem;
            return;
        }

        if (From is { } from && To is { } to && from >= to)
        {
            Error = "The end of the time range must be after its start.";
            return;
        }

        Loading = true;
        try
        {
            var page = await history.QueryAsync(TenantId, new HistoryQuery(topic, Utc(From), Utc(To), _pageStarts[^1], 0, PageSize), cancellationToken).ConfigureAwait(false);
            if (page is null)
            {
                Error = "The history store is unavailable (database down, or no store). MQTT keeps running.";
                Items = [];
                _next = null;
                return;
            }

            Error = null;
            Items = page.Items;
            _next = page.Next;
            Selected = null;
        }
        finally
        {
            Loading = false;
        }
    }
}
