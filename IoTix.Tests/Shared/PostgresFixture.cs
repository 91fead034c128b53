using System.Diagnostics;
using Npgsql;

namespace IoTix.Tests.Shared;

/// <summary>
/// A throwaway PostgreSQL 15 cluster (Debian's binaries) in a temporary folder on a free loopback port, shared by a
/// test collection. initdb + pg_ctl as the postgres user (through runuser when the tests run as root); stopped through
/// its own data folder's pid file, never by name. Each test creates its own database.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private const string Bin = "/usr/lib/postgresql/15/bin";

    private string _folder = "";

    public int Port { get; private set; }

    public bool IsRunning { get; private set; }

    public async Task InitializeAsync()
    {
        _folder = Directory.CreateTempSubdirectory("iotix-pg-").FullName;
        Port = BrokerInstance.FreePort();
        if (IsRoot)
        {
            await RunAsync("chown", "postgres:", _folder);
        }

        await RunAsPostgresAsync($"{Bin}/initdb", "-D", _folder, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8");
        await StartAsync();
    }

    public async Task StartAsync()
    {
        await RunAsPostgresAsync($"{Bin}/pg_ctl", "-D", _folder, "-l", Path.Combine(_folder, "log"), "-w", "-o", $"-p {Port} -c listen_addresses=127.0.0.1 -k {_folder} -c fsync=off", "start");
        IsRunning = true;
    }

    /// <summary>Stops the cluster (the postmaster of this data folder, from its pid file).</summary>
    public async Task StopAsync()
    {
        if (!IsRunning)
        {
            return;
        }

        await RunAsPostgresAsync($"{Bin}/pg_ctl", "-D", _folder, "-w", "-m", "immediate", "stop");
        IsRunning = false;
        NpgsqlConnection.ClearAllPools();
    }

    /// <summary>A new empty database; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 33, 63)].ToLowerInvariant();
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    public string ConnectionString(string database) => $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Timeout=5;Pooling=false";

    public async Task DisposeAsync()
    {
        await StopAsync();
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static bool IsRoot => Environment.UserName == "root";

    private static Task RunAsPostgresAsync(string program, params string[] arguments) =>
        IsRoot ? RunAsync("runuser", ["-u", "postgres", "--", program, .. arguments]) : RunAsync(program, arguments);

    private static async Task RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo("timeout") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["-s", "KILL", "60", program, .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await stdout}{await stderr}");
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "PostgreSQL";
}
