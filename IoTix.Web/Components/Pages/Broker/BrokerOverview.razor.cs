using System.Globalization;
using IoTix.Broker.Admin;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace IoTix.Web.Components.Pages.Broker;

/// <summary>Broker overview: listeners with status, counters, live message and connection charts (sampled once a second).</summary>
public sealed partial class BrokerOverview : IDisposable
{
    private static readonly string[] ChartLabelValues = BuildLabels();
    private readonly LineChartOptions _chartOptions = new() { ShowLegend = true, YAxisRequireZeroPoint = true, ShowDataMarkers = false };
    private IDisposable? _sampling;

    [Inject]
    private BrokerOverviewViewModel Model { get; set; } = default!;

    private string[] Labels => ChartLabelValues;

    private List<ChartSeries<double>> MessageSeries =>
    [
        new() { Name = "in", Data = Model.MessagesInSeries() },
        new() { Name = "out", Data = Model.MessagesOutSeries() },
    ];

    private List<ChartSeries<double>> ConnectionSeries => [new() { Name = "connections", Data = Model.ConnectionSeries() }];

    private IEnumerable<(string Label, string Value, string TestId)> Figures
    {
        get
        {
            var s = Model.Current;
            yield return ("Connections", N(s?.ConnectionsCurrent ?? 0), "connections");
            yield return ("Messages in / s", Model.MessagesInPerSecond.ToString("0.#", CultureInfo.InvariantCulture), "rate-in");
            yield return ("Messages out / s", Model.MessagesOutPerSecond.ToString("0.#", CultureInfo.InvariantCulture), "rate-out");
            yield return ("Subscriptions", N(s?.SubscriptionsCurrent ?? 0), "subscriptions");
            yield return ("Retained messages", N(s?.RetainedMessages ?? 0), "retained");
            yield return ("Dropped messages", N(s?.MessagesDropped ?? 0), "dropped");
        }
    }

    protected override void OnInitialized() => _sampling = Model.Start(RefreshAsync);

    public void Dispose() => _sampling?.Dispose();

    // Called by the view model's sampler, once a second at most.
    private Task RefreshAsync() => InvokeAsync(StateHasChanged);

    internal static Color StateColor(BrokerListenerState state) => state switch
    {
        BrokerListenerState.Listening => Color.Success,
        BrokerListenerState.Stopped => Color.Warning,
        _ => Color.Default,
    };

    internal static string StateText(BrokerListenerState state) => state switch
    {
        BrokerListenerState.Listening => "listening",
        BrokerListenerState.Stopped => "stopped",
        _ => "off",
    };

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string[] BuildLabels()
    {
        var labels = new string[BrokerOverviewViewModel.WindowSeconds];
        for (var i = 0; i < labels.Length; i++)
        {
            var ago = labels.Length - 1 - i;
            labels[i] = ago % 15 == 0 ? (ago == 0 ? "now" : $"-{ago}s") : "";
        }

        return labels;
    }
}
