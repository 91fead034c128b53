using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace IoTix.Bench.Scale;

/// <summary>
/// The HTTP peer server: a minimal Kestrel app answering every POST/PUT with 204 No Content after
/// reading the body, counting requests. Writes <c>unixMs requests</c> to a status file every second.
/// </summary>
internal static class HttpSink
{
    private static long s_requests;

    public static async Task<int> RunAsync(int port, int seconds, string? statusFile, TextWriter output)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o =>
        {
            o.Listen(IPAddress.Loopback, port);
            o.Limits.MaxConcurrentConnections = null;
        });
        var app = builder.Build();
        app.Run(static async context =>
        {
            var body = context.Request.Body;
            var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(4096);
            try
            {
                while (await body.ReadAsync(buffer).ConfigureAwait(false) > 0)
                {
                    // drain the body
                }
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            }

            Interlocked.Increment(ref s_requests);
            context.Response.StatusCode = StatusCodes.Status204NoContent;
        });
        await app.StartAsync();
        output.WriteLine($"# http-sink listening on 127.0.0.1:{port}");
        var sw = Stopwatch.StartNew();
        var cpu = new CpuWindow();
        // SIGTERM (the script stops the sink by pid) triggers the host's ApplicationStopping: end the loop then.
        var stopping = app.Lifetime.ApplicationStopping;
        while (sw.Elapsed < TimeSpan.FromSeconds(seconds) && !stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(1000, stopping);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            var line = string.Create(CultureInfo.InvariantCulture, $"{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()} {Interlocked.Read(ref s_requests)} cpu {cpu.CpuSeconds:F2}");
            output.WriteLine(line);
            output.Flush();
            if (statusFile is not null)
            {
                File.WriteAllText(statusFile + ".tmp", line + Environment.NewLine);
                File.Move(statusFile + ".tmp", statusFile, overwrite: true);
            }
        }

        await app.StopAsync();
        return 0;
    }
}
