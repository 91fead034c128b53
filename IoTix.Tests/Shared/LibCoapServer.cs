using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace IoTix.Tests.Shared;

/// <summary>
/// Debian's libcoap server (<c>coap-server-notls</c>, package libcoap3-bin) on a free loopback UDP
/// port, with dynamic resources (<c>-d</c>: PUT/POST create them, GET reads them back, they are
/// observable) and a verbose log; plus <c>coap-client-notls</c> calls. Stopped by its pid.
/// </summary>
public sealed class LibCoapServer : IAsyncDisposable
{
    private readonly Process _process;

    private LibCoapServer(Process process, int port, string logPath)
    {
        _process = process;
        Port = port;
        LogPath = logPath;
    }

    public int Port { get; }

    public string LogPath { get; }

    public string Url(string path) => $"coap://127.0.0.1:{Port}/{path.TrimStart('/')}";

    public static async Task<LibCoapServer> StartAsync(string extraArgs = "")
    {
        // The free port is only free when probed (another test's UDP socket can take it before the server binds and the
        // server exits), and a start in the busiest seconds of the test run can go unanswered for a while (once seen: bound,
        // then silent for 10 s on a loaded machine). Either is retried on a new port, three starts at most.
        for (int attempt = 1; ; attempt++)
        {
            var server = Launch(extraArgs);
            if (await server.WaitReadyAsync())
            {
                return server;
            }

            bool exited = server._process.HasExited;
            await server.DisposeAsync();
            if (attempt == 3)
            {
                throw new InvalidOperationException($"coap-server-notls did not answer on port {server.Port} (attempt {attempt}, {(exited ? "it exited" : "still running")}); log: {server.LogPath}");
            }
        }
    }

    private static LibCoapServer Launch(string extraArgs)
    {
        int port = FreeUdpPort();
        var log = Path.Combine(Path.GetTempPath(), $"iotix-coap-{port}-{Guid.NewGuid():N}.log");
        var psi = new ProcessStartInfo("timeout", $"-s KILL 600 coap-server-notls -A 127.0.0.1 -p {port} -d 100000 -v 7 {extraArgs}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start coap-server-notls (apt-get install -y libcoap3-bin)");
        var writer = new StreamWriter(log) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (writer) { writer.WriteLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (writer) { writer.WriteLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new LibCoapServer(process, port, log);
    }

    /// <summary>Pings (Empty CON) until the server answers with RST (true), for up to 20 s or until it exits (false).</summary>
    private async Task<bool> WaitReadyAsync()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(new IPEndPoint(IPAddress.Loopback, Port));
        var buffer = new byte[64];
        for (int attempt = 0; attempt < 100 && !_process.HasExited; attempt++)
        {
            socket.Send([0x40, 0x00, 0x12, (byte)attempt]);
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            try
            {
                int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                if (n == 4 && buffer[0] == 0x70)
                {
                    return true;
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException)
            {
                // not listening yet
            }
        }

        return false;
    }

    /// <summary>Runs coap-client-notls; returns its standard output.</summary>
    public async Task<string> ClientAsync(string method, string path, string? payload = null, string extra = "")
    {
        var args = $"-s KILL 20 coap-client-notls -m {method} -B 10 {extra}";
        if (payload is not null)
        {
            args += $" -e '{payload}'";
        }

        var psi = new ProcessStartInfo("timeout")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in SplitArgs(args))
        {
            psi.ArgumentList.Add(a);
        }

        psi.ArgumentList.Add(Url(path));
        using var process = Process.Start(psi)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output.Trim();
    }

    public string ReadLog()
    {
        using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(stream).ReadToEnd();
    }

    private static IEnumerable<string> SplitArgs(string args)
    {
        int i = 0;
        while (i < args.Length)
        {
            while (i < args.Length && args[i] == ' ')
            {
                i++;
            }

            if (i >= args.Length)
            {
                yield break;
            }

            if (args[i] == '\'')
            {
                int end = args.IndexOf('\'', i + 1);
                yield return args[(i + 1)..end];
                i = end + 1;
                continue;
            }

            int next = args.IndexOf(' ', i);
            if (next < 0)
            {
                next = args.Length;
            }

            yield return args[i..next];
            i = next;
        }
    }

    public static int FreeUdpPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }

        _process.Dispose();
    }
}
