using IoTix.Tests.Shared;
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
