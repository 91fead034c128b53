using System.Globalization;
using IoTix.Web.LiveMetrics;
using IoTix.Web.Tenancy;
using Microsoft.Extensions.Options;
using MudBlazor;

namespace IoTix.Web.Components.Pages.Dashboard;

/// <summary>
/// State of the dashboard page: KPI cards and chart series (the total and one per group) built from the live metrics
/// history. <see cref="Refresh"/> rebuilds everything from the newest points; the page calls it at most once per
/// <see cref="RenderInterval"/> through a throttled subscription, never once per message.
/// </summary>
public sealed class DashboardViewModel(ILiveMetrics metrics, IOptions<LiveMetricsOptions> options, IOptions<DashboardOptions> dashboard)
{
    /// <summary>The chart windows offered, in points (one point per sample).</summary>
    public static readonly IReadOnlyList<int> Windows = [60, 120, 300];

    private readonly LiveMetricsOptions _options = options.Value;

    /// <summary>Points shown in the charts (the newest ones).</summary>
    public int WindowPoints { get; set; } = 120;

    /// <summary>Least time between two refreshes of the page.</summary>
    public TimeSpan RenderInterval => TimeSpan.FromMilliseconds(_options.RenderIntervalMs);

    /// <summary>Time between two samples.</summary>
    public TimeSpan SampleInterval => TimeSpan.FromMilliseconds(_options.SampleIntervalMs);

    /// <summary>The Grafana dashboard to embed, or null to hide the panel (always hidden from tenants: it shows the platform's metrics).</summary>
    public string? GrafanaUrl => !IsPlatform || string.IsNullOrWhiteSpace(dashboard.Value.GrafanaUrl) ? null : dashboard.Value.GrafanaUrl;

    public LiveMetricsPoint? Latest { get; private set; }

    /// <summary>Points in the current window.</summary>
    public int PointCount { get; private set; }

    /// <summary>Times <see cref="Refresh"/> ran.</summary>
    public int Refreshes { get; private set; }

    /// <summary>Series keys: <c>total</c> first, then group ids present in the window.</summary>
    public IReadOnlyList<string> SeriesKeys { get; private set; } = [];

    public List<ChartSeries<double>> MessageRateSeries { get; private set; } = [];

    public List<ChartSeries<double>> ConnectedSeries { get; private set; } = [];

    public List<ChartSeries<double>> ErrorRateSeries { get; private set; } = [];

    public List<ChartSeries<double>> BrokerSeries { get; private set; } = [];

    /// <summary>Publish latency of the whole simulation per sample: p50, p95 and p99 (ms) of the publishes acknowledged in each interval.</summary>
    public List<ChartSeries<double>> LatencySeries { get; private set; } = [];

    public IReadOnlyList<KpiCardModel> Kpis { get; private set; } = [];

    /// <summary>Whether there are enough points to draw lines.</summary>
    public bool HasChartData => PointCount >= 2;

    public TimeSeriesChartOptions ChartOptions(string yTitle) => new()
    {
        TimeLabelFormat = "HH:mm:ss",
        TimeLabelSpacing = TimeSpan.FromSeconds(WindowPoints * _options.SampleIntervalMs / 1000.0 / 4),
        TooltipTimeLabelFormat = "HH:mm:ss",
        YAxisTitle = yTitle,
        YAxisRequireZeroPoint = true,
        ClampToZero = true,
        ShowDataMarkers = false,
        LineStrokeWidth = 2,
        ShowLegend = true,
        YAxisFormat = "0.#",
    };

    /// <summary>
    /// The viewer's tenant (<see cref="Tenants.Default"/> unless set). The default tenant (the platform) sees the
    /// engine-wide view: every group's series (other tenants' under their engine keys, <c>tenants/{t}/g1</c>), the
    /// hosted broker and the Grafana panel; any other tenant sees its own view (<see cref="ILiveMetrics.LatestFor"/>):
    /// its groups by bare ids, totals of its groups, neither the broker nor Grafana (both are the platform's).
    /// </summary>
    public string TenantId { get; set; } = Tenants.Default;

    /// <summary>True for the default tenant: the platform's broker card and Grafana panel are shown.</summary>
    public bool IsPlatform => string.Equals(TenantId, Tenants.Default, StringComparison.Ordinal);

    /// <summary>Rebuilds the KPIs and series from the newest <see cref="WindowPoints"/> points.</summary>
    public void Refresh()
    {
        var points = metrics.GetHistory(TenantId, WindowPoints);
        Refreshes++;
        PointCount = points.Count;
        Latest = points.Count > 0 ? points[^1] : null;

        var keys = new List<string> { SeriesSample.TotalKey };
        var messages = new Dictionary<string, List<(DateTime, double)>>(StringComparer.Ordinal) { [SeriesSample.TotalKey] = [] };
        var connected = new Dictionary<string, List<(DateTime, double)>>(StringComparer.Ordinal) { [SeriesSample.TotalKey] = [] };
        var errors = new Dictionary<string, List<(DateTime, double)>>(StringComparer.Ordinal) { [SeriesSample.TotalKey] = [] };
        var brokerIn = new List<(DateTime, double)>();
        var brokerOut = new List<(DateTime, double)>();
        var brokerDropped = new List<(DateTime, double)>();
        var p50 = new List<(DateTime, double)>();
        var p95 = new List<(DateTime, double)>();
        var p99 = new List<(DateTime, double)>();
        foreach (var point in points)
        {
            var at = point.Timestamp.LocalDateTime;
            Add(SeriesSample.TotalKey, point.Total, at);
            if (point.Total.PublishLatency is { } latency)
            {
                p50.Add((at, latency.P50Ms));
                p95.Add((at, latency.P95Ms));
                p99.Add((at, latency.P99Ms));
            }

            foreach (var group in point.Groups)
            {
                var key = group.Key;
                if (!messages.ContainsKey(key))
                {
                    keys.Add(key);
                    messages[key] = [];
                    connected[key] = [];
                    errors[key] = [];
                }

                Add(key, group, at);
            }

            if (point.Broker is { } broker)
            {
                brokerIn.Add((at, broker.MessagesInPerSecond));
                brokerOut.Add((at, broker.MessagesOutPerSecond));
                brokerDropped.Add((at, broker.DroppedPerSecond));
            }
        }

        SeriesKeys = keys;
        MessageRateSeries = Build(keys, messages);
        ConnectedSeries = Build(keys, connected);
        ErrorRateSeries = Build(keys, errors);
        BrokerSeries = brokerIn.Count == 0 ? [] :
        [
            new ChartSeries<double> { Name = "received", Data = new ChartData<double>(brokerIn) },
            new ChartSeries<double> { Name = "delivered", Data = new ChartData<double>(brokerOut) },
            new ChartSeries<double> { Name = "dropped", Data = new ChartData<double>(brokerDropped) },
        ];
        LatencySeries = p50.Count < 2 ? [] :
        [
            new ChartSeries<double> { Name = "p50", Data = new ChartData<double>(p50) },
            new ChartSeries<double> { Name = "p95", Data = new ChartData<double>(p95) },
            new ChartSeries<double> { Name = "p99", Data = new ChartData<double>(p99) },
        ];
        Kpis = BuildKpis(Latest, IsPlatform);

        void Add(string key, SeriesSample sample, DateTime at)
        {
            messages[key].Add((at, sample.MessagesPerSecond));
            connected[key].Add((at, sample.Connected));
            errors[key].Add((at, sample.ErrorsPerSecond));
        }
    }

    private static List<ChartSeries<double>> Build(List<string> keys, Dictionary<string, List<(DateTime, double)>> values)
    {
        var result = new List<ChartSeries<double>>(keys.Count);
        foreach (var key in keys)
        {
            result.Add(new ChartSeries<double> { Name = key, Data = new ChartData<double>(values[key]) });
        }

        return result;
    }

    /// <summary>The KPI cards of <paramref name="point"/>; the broker card only when <paramref name="withBroker"/> (the platform's view).</summary>
    internal static IReadOnlyList<KpiCardModel> BuildKpis(LiveMetricsPoint? point, bool withBroker = true)
    {
        if (point is null)
        {
            return
            [
                new KpiCardModel("messages", "Messages/s", "-", "waiting for the first sample", Color.Default),
                new KpiCardModel("connected", "Connected devices", "-", "waiting for the first sample", Color.Default),
            ];
        }

        var total = point.Total;
        var messagesColor = total.MessagesPerSecond > 0 ? Color.Success : total.Connected > 0 ? Color.Warning : Color.Default;
        var messagesCaption = total.Connected > 0 && total.MessagesPerSecond <= 0 ? "devices connected but silent" : $"{Count(total.MessagesSent)} sent in total";

        var connectedColor = total.Devices == 0 ? Color.Default : total.Connected == total.Devices ? Color.Success : total.Connected == 0 ? Color.Default : Color.Warning;
        var connectedCaption = total.Devices == 0 ? "no devices" : $"of {Count(total.Devices)} devices ({Percent(total.Connected, total.Devices)})";

        var errorColor = total.ErrorsPerSecond <= 0 ? Color.Success : total.ErrorsPerSecond > 0.05 * Math.Max(total.MessagesPerSecond, 1) ? Color.Error : Color.Warning;

        int trouble = total.Dropped + total.Reconnecting + total.Failed;
        var troubleColor = total.Failed > 0 ? Color.Error : trouble > 0 ? Color.Warning : Color.Success;

        var broker = point.Broker;
        var kpis = new List<KpiCardModel>(6)
        {
            new("messages", "Messages/s", Rate(total.MessagesPerSecond), messagesCaption, messagesColor),
            new("connected", "Connected devices", Count(total.Connected), connectedCaption, connectedColor),
            new("errors", "Errors/s", Rate(total.ErrorsPerSecond), $"{Count(total.MessagesFailed)} failed in total", errorColor),
            new("trouble", "Dropped / failed", $"{Count(total.Dropped + total.Reconnecting)} / {Count(total.Failed)}", $"{Count(total.Reconnecting)} reconnecting", troubleColor),
        };
        if (withBroker)
        {
            kpis.Add(broker is null
                ? new KpiCardModel("broker", "Broker", "off", "hosted broker disabled", Color.Default)
                : new KpiCardModel("broker", "Broker clients", Count(broker.Connections), $"{Rate(broker.MessagesInPerSecond)} in/s, {Rate(broker.MessagesOutPerSecond)} out/s", broker.DroppedPerSecond > 0 ? Color.Warning : Color.Info));
        }

        kpis.Add(LatencyKpi(total.PublishLatency));
        return kpis;
    }

    /// <summary>p99 of the last interval's acknowledged publishes (p50 and p95 in the caption).</summary>
    internal static KpiCardModel LatencyKpi(LatencySample? latency) => latency is null
        ? new KpiCardModel("latency", "Publish latency p99", "-", "no QoS 1/2 publish acknowledged in the last interval", Color.Default)
        : new KpiCardModel(
            "latency",
            "Publish latency p99",
            Milliseconds(latency.P99Ms),
            $"p50 {Milliseconds(latency.P50Ms)}, p95 {Milliseconds(latency.P95Ms)} ({Count(latency.Count)} acknowledged)",
            latency.P99Ms >= 1000 ? Color.Error : latency.P99Ms >= 100 ? Color.Warning : Color.Success);

    internal static string Milliseconds(double ms) => ms.ToString(ms >= 100 ? "N0" : ms >= 10 ? "0.0" : "0.00", CultureInfo.InvariantCulture) + " ms";

    internal static string Rate(double perSecond) => perSecond.ToString(perSecond >= 100 ? "N0" : "0.0", CultureInfo.InvariantCulture);

    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Percent(int part, int whole) => (whole == 0 ? 0 : 100.0 * part / whole).ToString("0.#", CultureInfo.InvariantCulture) + "%";
}

/// <summary>One KPI card: an id (for tests and styling), a title, the value, a caption and a status colour.</summary>
public sealed record KpiCardModel(string Id, string Title, string Value, string Caption, Color Color);
