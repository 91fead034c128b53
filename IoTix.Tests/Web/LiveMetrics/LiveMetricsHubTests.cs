using System.Collections.Concurrent;
using IoTix.Tests.Shared;
using IoTix.Tests.Web.Api;
using IoTix.Web.Accounts;
using IoTix.Web.LiveMetrics;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace IoTix.Tests.Web.LiveMetrics;

/// <summary>The hub on the real host (in-process server, the real sampler on the system clock).</summary>
public sealed class LiveMetricsHubTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private readonly IoTixWebFactory _factory = new()
    {
        Settings = { ["IoTix:Console:LiveMetrics:SampleIntervalMs"] = "200" },
    };

    private HubConnection _connection = null!;

    public async Task InitializeAsync()
    {
        _ = _factory.Server; // starts the host
        _connection = new HubConnectionBuilder()
            .WithUrl(new Uri(_factory.Server.BaseAddress, LiveMetricsHub.Path), options =>
            {
                options.HttpMessageHandlerFactory = _ => _factory.Server.CreateHandler();
                options.Headers["X-Api-Key"] = IoTixWebFactory.AdminApiKey;
                options.Transports = HttpTransportType.LongPolling;
            })
            .Build();
        await _connection.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _connection.DisposeAsync();
        await _factory.DisposeAsync();
    }

    [Fact]
    public async Task Subscribed_client_receives_new_points()
    {
        var received = new TaskCompletionSource<LiveMetricsPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var handler = _connection.On<LiveMetricsPoint>(LiveMetricsHub.PointMethod, point => received.TrySetResult(point));

        await _connection.InvokeAsync("Subscribe");
        var point = await received.Task.WaitAsync(Timeout);

        Assert.Equal(SeriesSample.TotalKey, point.Total.Key);
        Assert.True(point.Timestamp > DateTimeOffset.UnixEpoch);
    }

    [Fact]
    public async Task GetHistory_returns_the_points_kept_oldest_first()
    {
        var metrics = _factory.Services.GetRequiredService<ILiveMetrics>();
        using var cancel = new CancellationTokenSource(Timeout);
        while (metrics.GetHistory().Count < 3)
        {
            await Task.Delay(50, cancel.Token);
        }

        var history = await _connection.InvokeAsync<List<LiveMetricsPoint>>("GetHistory", 2);

        Assert.Equal(2, history.Count);
        Assert.True(history[0].Timestamp < history[1].Timestamp);
    }
}

/// <summary>The hub with two tenants and the platform connected on one host: each receives only its own view.</summary>
public sealed class LiveMetricsHubTenantTests : IAsyncLifetime
{
    private readonly string _modelFolder = Directory.CreateTempSubdirectory("iotix-hub-models-").FullName;
    private readonly IoTixWebFactory _factory;
    private readonly List<HubConnection> _connections = [];

    public LiveMetricsHubTenantTests()
    {
        File.WriteAllText(Path.Combine(_modelFolder, "hub-sensor.json"), ApiTestHost.Model("hub-sensor"));
        _factory = ApiTestHost.CreateFactory(_modelFolder, settings: new Dictionary<string, string?> { ["IoTix:Console:LiveMetrics:SampleIntervalMs"] = "200" });
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }

        await _factory.DisposeAsync();
        BrokerInstance.DeleteFolder(_modelFolder);
    }

    private async Task<HubConnection> ConnectAsync(string apiKey)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(_factory.Server.BaseAddress, LiveMetricsHub.Path), options =>
            {
                options.HttpMessageHandlerFactory = _ => _factory.Server.CreateHandler();
                options.Headers["X-Api-Key"] = apiKey;
                options.Transports = HttpTransportType.LongPolling;
            })
            .Build();
        _connections.Add(connection);
        await connection.StartAsync();
        return connection;
    }

    private async Task CreateGroupAsync(string tenant, string groupId)
    {
        using var client = await _factory.CreateClientForAsync(TenantRoles.Admin, tenant);
        using var response = await client.PostJsonAsync("/api/v1/groups", $$"""{"modelId": "hub-sensor", "count": 2, "groupId": "{{groupId}}"}""");
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
    }

    private static ConcurrentQueue<LiveMetricsPoint> Collect(HubConnection connection)
    {
        var points = new ConcurrentQueue<LiveMetricsPoint>();
        connection.On<LiveMetricsPoint>(LiveMetricsHub.PointMethod, points.Enqueue);
        return points;
    }

    private static bool Has(ConcurrentQueue<LiveMetricsPoint> points, string group) => points.Any(p => p.Groups.Any(g => g.Key == group));

    [Fact]
    public async Task Each_tenant_receives_only_its_own_series_by_bare_ids_and_the_platform_every_series()
    {
        await CreateGroupAsync("alpha", "alpha-line");
        await CreateGroupAsync("beta", "beta-line");
        var alpha = await ConnectAsync(await _factory.CreateApiKeyAsync(TenantRoles.Viewer, "alpha"));
        var beta = await ConnectAsync(await _factory.CreateApiKeyAsync(TenantRoles.Viewer, "beta"));
        var platform = await ConnectAsync(IoTixWebFactory.AdminApiKey);
        var alphaPoints = Collect(alpha);
        var betaPoints = Collect(beta);
        var platformPoints = Collect(platform);

        await alpha.InvokeAsync("Subscribe");
        await beta.InvokeAsync("Subscribe");
        await platform.InvokeAsync("Subscribe");
        await Eventually.TrueAsync(
            () => Has(alphaPoints, "alpha-line") && Has(betaPoints, "beta-line") && Has(platformPoints, "tenants/beta/beta-line"),
            "every subscriber received a point with its group");
        var alphaHistory = await alpha.InvokeAsync<List<LiveMetricsPoint>>("GetHistory", 5);

        // A sample taken just before a group was created holds no series yet; none ever holds another tenant's.
        OnlyOwn(alphaPoints, "alpha-line");
        OnlyOwn(betaPoints, "beta-line");
        OnlyOwn(alphaHistory, "alpha-line");
        Assert.Contains(alphaHistory, p => p.Groups.Count == 1 && p.Total.Devices == 2);
        Assert.Contains(platformPoints, p => p.Groups.Any(g => g.Key == "tenants/alpha/alpha-line") && p.Total.Devices == 4);
    }

    [Fact]
    public async Task A_tenants_feed_ends_with_its_last_connection()
    {
        var broadcaster = _factory.Services.GetRequiredService<LiveMetricsHubBroadcaster>();
        var alpha = await ConnectAsync(await _factory.CreateApiKeyAsync(TenantRoles.Viewer, "alpha"));
        var beta = await ConnectAsync(await _factory.CreateApiKeyAsync(TenantRoles.Viewer, "beta"));
        await alpha.InvokeAsync("Subscribe");
        await beta.InvokeAsync("Subscribe");
        var both = broadcaster.Tenants.Order(StringComparer.Ordinal).ToList();

        await alpha.StopAsync();

        await Eventually.TrueAsync(() => !broadcaster.Tenants.Contains("alpha"), "alpha's feed ended");
        Assert.Equal(["alpha", "beta"], both);
        Assert.Equal(["beta"], broadcaster.Tenants);
    }

    private static void OnlyOwn(IEnumerable<LiveMetricsPoint> points, string group)
    {
        Assert.All(points, p =>
        {
            Assert.All(p.Groups, g => Assert.Equal(group, g.Key));
            Assert.InRange(p.Total.Devices, 0, 2);
            Assert.Null(p.Broker);
        });
    }
}
