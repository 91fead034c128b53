using IoTix.Web.Audit;
using IoTix.Broker.DeadLetters;
using IoTix.Broker.Security;
using IoTix.Web.History;
using IoTix.Web.Tenancy;
using MudBlazor;
using IoTix.Web.Accounts;

namespace IoTix.Web.Components.Pages.Broker;

/// <summary>The Dead letters page: filter by reason and topic, pages (newest first), re-publish and delete.</summary>
public sealed class DeadLettersViewModel(TenantMessageData queue, ConsoleAudit? audit = null)
{
    /// <summary>The signed-in user's tenant (set by the page): its dead letters only.</summary>
    public string TenantId { get; set; } = Tenants.Default;

    public DeadLetterReason? Reason { get; set; }

    public string TopicFilter { get; set; } = "";

    public int PageSize { get; set; } = 50;

    /// <summary>1-based.</summary>
    public int PageNumber { get; private set; } = 1;

    public int Total { get; private set; }

    public int PageCount => Math.Max(1, (Total + PageSize - 1) / PageSize);

    public bool Loading { get; private set; }

    public string? Error { get; private set; }

    public DeadLetterStatus Status { get; private set; } = queue.GetDeadLetterStatus();

    public IReadOnlyList<DeadLetter> Items { get; private set; } = [];

    public DeadLetter? Selected { get; set; }

    /// <summary>Where the selected dead letter is re-published; empty: its own topic.</summary>
    public string RepublishTopic { get; set; } = "";

    /// <summary>Outcome of the last re-publish or delete, in words.</summary>
    public (bool Succeeded, string Text)? Message { get; private set; }

    public Task SearchAsync(CancellationToken cancellationToken = default)
    {
        PageNumber = 1;
        return LoadAsync(cancellationToken);
    }

    public Task GoToPageAsync(int page, CancellationToken cancellationToken = default)
    {
        PageNumber = Math.Clamp(page, 1, PageCount);
        return LoadAsync(cancellationToken);
    }

    public async Task LoadAsync(CancellationToken cancellationToken = default)
    {
        Status = queue.GetDeadLetterStatus();
        var filter = TopicFilter.Trim();
        if (filter.Length > 0 && !MqttTopicMatch.IsValidFilter(filter, out var problem))
        {
            Error = problem;
            return;
        }

        Loading = true;
        try
        {
            var page = await queue.ListDeadLettersAsync(TenantId, new DeadLetterQuery(Reason, filter.Length == 0 ? null : filter, (PageNumber - 1) * PageSize, PageSize), cancellationToken).ConfigureAwait(false);
            if (page is null)
            {
                Error = "The dead-letter store is unavailable (database down, or no store). MQTT keeps running.";
                Items = [];
                Total = 0;
                return;
            }

            Error = null;
            Items = page.Items;
            Total = page.Total;
            if (Selected is { } selected && !Contains(page.Items, selected.Id))
            {
                Selected = null;
            }
        }
        finally
        {
            Loading = false;
        }
    }

    public void Select(DeadLetter deadLetter)
    {
        Selected = deadLetter;
        RepublishTopic = "";
        Message = null;
    }

    /// <summary>Re-publishes the selected dead letter (removing it from the queue) and reloads the page.</summary>
    public async Task RepublishAsync(CancellationToken cancellationToken = default)
    {
        if (Selected is not { } selected)
        {
            return;
        }

        if (await audit.PermissionRefusalAsync(Permissions.HistoryReplay, "deadletter.republish", selected.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false) is { } refused)
        {
            Message = (false, refused);
            return;
        }

        var topic = RepublishTopic.Trim();
        if (topic.Length > 0 && (!MqttTopicMatch.IsValidTopicName(topic, out var problem) || (problem = TenantMessageData.CheckTopic(TenantId, topic)) is not null))
        {
            Message = (false, problem);
            return;
        }

        var result = await queue.RepublishDeadLetterAsync(TenantId, selected.Id, topic.Length == 0 ? null : topic, keep: false, cancellationToken).ConfigureAwait(false);
        Message = (result.Succeeded, result.Succeeded ? $"Dead letter {selected.Id} {result.Message}." : result.Message);
        await audit.AuditAsync("deadletter.republish", selected.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), result.Succeeded ? null : result.Message, topic.Length == 0 ? "to its own topic" : $"to {topic}", cancellationToken).ConfigureAwait(false);
        if (result.Succeeded)
        {
            Selected = null;
        }

        await LoadAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task DeleteAsync(long id, CancellationToken cancellationToken = default)
    {
        if (await audit.PermissionRefusalAsync(Permissions.HistoryReplay, "deadletter.delete", id.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false) is { } refused)
        {
            Message = (false, refused);
            return;
        }

        var deleted = await queue.DeleteDeadLetterAsync(TenantId, id, cancellationToken).ConfigureAwait(false);
        Message = deleted switch
        {
            true => (true, $"Dead letter {id} deleted."),
            false => (false, $"Dead letter {id} was already gone."),
            null => (false, "The dead-letter store is unavailable."),
        };
        await audit.AuditAsync("deadletter.delete", id.ToString(System.Globalization.CultureInfo.InvariantCulture), deleted == true ? null : Message.Value.Text, cancellationToken: cancellationToken).ConfigureAwait(false);
        await LoadAsync(cancellationToken).ConfigureAwait(false);
    }

    public static string ReasonLabel(DeadLetterReason reason) => reason switch
    {
        DeadLetterReason.QueueOverflow => "Queue overflow",
        DeadLetterReason.SessionExpired => "Session expired",
        DeadLetterReason.AclDenied => "ACL denied",
        _ => "Payload too large",
    };

    /// <summary>The chip colour of a reason: delivery problems amber/blue, refusals red/purple.</summary>
    public static Color ReasonColor(DeadLetterReason reason) => reason switch
    {
        DeadLetterReason.QueueOverflow => Color.Warning,
        DeadLetterReason.SessionExpired => Color.Info,
        DeadLetterReason.AclDenied => Color.Error,
        _ => Color.Secondary,
    };

    private static bool Contains(IReadOnlyList<DeadLetter> items, long id)
    {
        foreach (var item in items)
        {
            if (item.Id == id)
            {
                return true;
            }
        }

        return false;
    }
}
