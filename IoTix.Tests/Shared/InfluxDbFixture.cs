using System.Diagnostics;
using System.Globalization;
using System.Net.Http;
using System.Text.Json;

namespace IoTix.Tests.Shared;

/// <summary>
/// A throwaway InfluxDB 1.x (Debian's <c>influxdb</c> package, <c>/usr/bin/influxd</c>) with its own config file and
/// data folder in a temporary directory, its HTTP API on a free loopback port (the RPC bind address on another one),
/// never the system service. Started as <c>timeout -s KILL 3600 influxd run -config ...</c> and stopped by its pid.
/// Shared by a test collection; each test creates its own database.
/// </summary>
public sealed class InfluxDbFixture : IAsyncLifetime
{
    private const string Daemon = "/usr/bin/influxd";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private string _folder = "";
    private Process? _process;

    public int Port { get; private set; }

    /// <summary>Base URL of the HTTP API, e.g. http://127.0.0.1:41234.</summary>
    public string Url => $"http://127.0.0.1:{Port}";

    public async Task InitializeAsync()
    {
        if (!File.Exists(Daemon))
        {
            throw new InvalidOperationException($"{Daemon} is missing: install Debian's influxdb package (./test.sh does: apt-get install -y influxdb)");
        }

        _folder = Directory.CreateTempSubdirectory("iotix-influx-").FullName;
        Port = BrokerInstance.FreePort();
        var rpcPort = BrokerInstance.FreePort();
        var config = Path.Combine(_folder, "influxdb.conf");
        await File.WriteAllTextAsync(config, string.Join('\n',
            "reporting-disabled = true",
            $"bind-address = \"127.0.0.1:{rpcPort}\"",
            "[meta]",
            $"  dir = \"{_folder}/meta\"",
            "  logging-enabled = false",
            "[data]",
            $"  dir = \"{_folder}/data\"",
            $"  wal-dir = \"{_folder}/wal\"",
            "  query-log-enabled = false",
            "[monitor]",
            "  store-enabled = false",
            "[subscriber]",
            "  enabled = false",
            "[http]",
            $"  bind-address = \"127.0.0.1:{Port}\"",
            "  log-enabled = false",
            "  pprof-enabled = false",
            "[continuous_queries]",
            "  enabled = false",
            ""));

        var start = new ProcessStartInfo("timeout") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["-s", "KILL", "3600", Daemon, "run", "-config", config])
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start)!;
        _process.OutputDataReceived += static (_, _) => { };
        _process.ErrorDataReceived += static (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await WaitUntilReadyAsync();
    }

    /// <summary>Creates a new empty database; returns its name.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..(prefix.Length + 13)];
        await QueryAsync(null, $"CREATE DATABASE \"{name}\"", post: true);
        return name;
    }

    /// <summary>Runs an InfluxQL query; answers the values of the first series (rows of column values), empty when none.</summary>
    public async Task<IReadOnlyList<JsonElement[]>> SelectAsync(string database, string query)
    {
        using var document = JsonDocument.Parse(await QueryAsync(database, query, post: false));
        var rows = new List<JsonElement[]>();
        var result = document.RootElement.GetProperty("results")[0];
        if (result.TryGetProperty("series", out var series))
        {
            foreach (var row in series[0].GetProperty("values").EnumerateArray())
            {
                var values = new List<JsonElement>();
                foreach (var value in row.EnumerateArray())
                {
                    values.Add(value.Clone());
                }

                rows.Add([.. values]);
            }
        }

        return rows;
    }

    /// <summary>The column names of a query's first series.</summary>
    public async Task<IReadOnlyList<string>> ColumnsAsync(string database, string query)
    {
        using var document = JsonDocument.Parse(await QueryAsync(database, query, post: false));
        var columns = new List<string>();
        var result = document.RootElement.GetProperty("results")[0];
        if (result.TryGetProperty("series", out var series))
        {
            foreach (var column in series[0].GetProperty("columns").EnumerateArray())
            {
                columns.Add(column.GetString()!);
            }
        }

        return columns;
    }

    public async Task DisposeAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        _process?.Dispose();
        _http.Dispose();
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private async Task<string> QueryAsync(string? database, string query, bool post)
    {
        var url = $"{Url}/query?q={Uri.EscapeDataString(query)}&epoch=ms" + (database is null ? "" : $"&db={Uri.EscapeDataString(database)}");
        using var response = post ? await _http.PostAsync(url, null) : await _http.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"InfluxDB query '{query}' failed: {(int)response.StatusCode} {body}");
        }

        return body;
    }

    private async Task WaitUntilReadyAsync()
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            if (_process!.HasExited)
            {
                throw new InvalidOperationException($"influxd exited with {_process.ExitCode.ToString(CultureInfo.InvariantCulture)} at start");
            }

            try
            {
                using var response = await _http.GetAsync($"{Url}/ping");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"influxd did not answer /ping on port {Port} within {StartTimeout.TotalSeconds} s");
            }

            await Task.Delay(100);
        }
    }
}
