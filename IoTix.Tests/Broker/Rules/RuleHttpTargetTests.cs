using IoTix.Broker.Rules;
using IoTix.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace IoTix.Tests.Broker.Rules;

/// <summary>The circuit breaker of an action's target, on a fake clock against a real HTTP receiver.</summary>
public sealed class RuleHttpTargetTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-23T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly HttpClient _http = new();
    private HttpRecordingServer _receiver = null!;

    public async Task InitializeAsync() => _receiver = await HttpRecordingServer.StartAsync();

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _receiver.DisposeAsync();
    }

    [Fact]
    public async Task The_circuit_opens_after_repeated_failures_and_closes_after_the_break_when_the_target_works()
    {
        var options = new RuleEngineOptions { CircuitMinimumCalls = 2, CircuitBreakSeconds = 5 };
        var runtime = new RuleRuntime(options, _time, _http, NullLoggerFactory.Instance);
        var target = new RuleHttpTarget(runtime, "r1", _receiver.BaseUrl, timeoutMs: 5000, retries: 0, retryDelayMs: 10);
        _receiver.FailNext(2);

        var first = await SendAsync(target);
        var second = await SendAsync(target);
        var whileOpen = await SendAsync(target);
        var requestsWhileOpen = _receiver.Requests.Count;
        _time.Advance(TimeSpan.FromSeconds(4));
        var stillOpen = await SendAsync(target);
        _time.Advance(TimeSpan.FromSeconds(1));
        var afterBreak = await SendAsync(target);
        var closed = await SendAsync(target);

        Assert.Equal("HTTP 500 Internal Server Error", first);
        Assert.Equal("HTTP 500 Internal Server Error", second);
        Assert.StartsWith("circuit open", whileOpen, StringComparison.Ordinal);
        Assert.StartsWith("circuit open", stillOpen, StringComparison.Ordinal);
        Assert.Equal(2, requestsWhileOpen);
        Assert.Null(afterBreak);
        Assert.Null(closed);
        Assert.Equal(4, _receiver.Requests.Count);
    }

    private Task<string?> SendAsync(RuleHttpTarget target) =>
        target.SendAsync(static url => new HttpRequestMessage(HttpMethod.Post, url + "/c") { Content = new StringContent("{}") }, _receiver.BaseUrl, CancellationToken.None);
}
