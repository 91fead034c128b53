using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace IoTix.Tests.Shared;

/// <summary>
/// A real Kestrel endpoint on 127.0.0.1 (free port) that records every request (method, path,
/// headers, body, connection id) and tracks concurrency. Paths containing <c>/fail</c> answer 500;
/// while <see cref="Hold"/> is set, requests wait for it; GET answers a queued command body
/// (<see cref="QueueCommand"/>) or 204. <see cref="FailNext"/> makes the next requests answer 500 (retry tests).
/// </summary>
public sealed class HttpRecordingServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> _commands = new();
    private readonly SemaphoreSlim _arrived = new(0);
    private int _concurrent;
    private int _maxConcurrent;
    private int _failuresLeft;

    private HttpRecordingServer(WebApplication app) => _app = app;

    public string BaseUrl { get; private set; } = string.Empty;

    /// <summary>When set, requests (other than GET) wait until it completes.</summary>
    public TaskCompletionSource? Hold { get; set; }

    public IReadOnlyCollection<RecordedRequest> Requests => _requests;

    public int MaxConcurrent => Volatile.Read(ref _maxConcurrent);

    public static async Task<HttpRecordingServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new HttpRecordingServer(app);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUrl = address.TrimEnd('/');
        return server;
    }

    /// <summary>The next <paramref name="count"/> requests (other than GET) are recorded and answered 500.</summary>
    public void FailNext(int count) => Volatile.Write(ref _failuresLeft, count);

    public void QueueCommand(string path, string body) => _commands.GetOrAdd(path, _ => new()).Enqueue(body);

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        if (HttpMethods.IsGet(request.Method))
        {
            if (_commands.TryGetValue(request.Path.Value!, out var queue) && queue.TryDequeue(out var command))
            {
                await context.Response.WriteAsync(command);
            }
            else
            {
                context.Response.StatusCode = StatusCodes.Status204NoContent;
            }

            return;
        }

        int now = Interlocked.Increment(ref _concurrent);
        int max;
        while (now > (max = Volatile.Read(ref _maxConcurrent)) && Interlocked.CompareExchange(ref _maxConcurrent, now, max) != max)
        {
        }

        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body);
        var headers = request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        _requests.Enqueue(new RecordedRequest(request.Method, request.Path.Value!, headers, body.ToArray(), context.Connection.Id));
        _arrived.Release();
        if (Hold is { } hold)
        {
            await hold.Task;
        }

        Interlocked.Decrement(ref _concurrent);
        var failNow = Interlocked.Decrement(ref _failuresLeft) >= 0;
        context.Response.StatusCode = failNow || request.Path.Value!.Contains("/fail", StringComparison.Ordinal) ? 500 : 204;
    }

    /// <summary>Waits until <paramref name="count"/> requests have arrived in total.</summary>
    public async Task WaitForRequestsAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (_requests.Count < count)
        {
            var left = deadline - DateTime.UtcNow;
            Assert.True(left > TimeSpan.Zero, $"{_requests.Count} of {count} requests arrived");
            await _arrived.WaitAsync(left);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Hold?.TrySetResult();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _arrived.Dispose();
    }
}

public sealed record RecordedRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body, string ConnectionId);
