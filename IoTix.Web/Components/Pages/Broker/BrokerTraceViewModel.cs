using IoTix.Broker.Observability;

namespace IoTix.Web.Components.Pages.Broker;

/// <summary>Run-time trace selection (FR-028) through <see cref="IBrokerTrace"/>: add and remove topic filters and client ids.</summary>
public sealed class BrokerTraceViewModel(IBrokerTrace trace)
{
    public bool IsActive => trace.IsActive;

    public IReadOnlyList<string> TopicFilters => Sorted(trace.TopicFilters);

    public IReadOnlyList<string> ClientIds => Sorted(trace.ClientIds);

    public string NewTopicFilter { get; set; } = "";

    public string NewClientId { get; set; } = "";

    /// <summary>Why the last add was refused, in words; null after a successful add.</summary>
    public string? Error { get; private set; }

    public bool AddTopicFilter()
    {
        var filter = NewTopicFilter.Trim();
        if (!TopicFilterRules.IsValid(filter, out var problem))
        {
            Error = problem;
            return false;
        }

        trace.AddTopicFilter(filter);
        NewTopicFilter = "";
        Error = null;
        return true;
    }

    public bool AddClientId()
    {
        var clientId = NewClientId.Trim();
        if (clientId.Length == 0)
        {
            Error = "Enter a client id to trace.";
            return false;
        }

        trace.AddClientId(clientId);
        NewClientId = "";
        Error = null;
        return true;
    }

    public bool RemoveTopicFilter(string filter) => trace.RemoveTopicFilter(filter);

    public bool RemoveClientId(string clientId) => trace.RemoveClientId(clientId);

    private static List<string> Sorted(IReadOnlyCollection<string> values)
    {
        var list = new List<string>(values);
        list.Sort(StringComparer.Ordinal);
        return list;
    }
}
