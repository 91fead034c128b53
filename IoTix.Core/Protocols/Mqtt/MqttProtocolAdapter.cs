using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using IoTix.Core.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IoTix.Core.Protocols.Mqtt;

/// <summary>
/// The MQTT 3.1.1/5.0 adapter: one lean <see cref="MqttDeviceConnection"/> per device (a socket,
/// an optional <c>SslStream</c>, packets encoded into pooled buffers, no thread or timer per
/// connection), one clock for keep-alive, connect deadlines and reconnect delays, shared
/// per-model settings and counters.
/// </summary>
internal sealed partial class MqttProtocolAdapter : IProtocolAdapter, IDisposable
{
    private readonly ConditionalWeakTable<DeviceModel, MqttDeviceSettings> _settings = [];
    private readonly Dictionary<string, (IPAddress Address, long ExpiresMs)> _dns = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _registryGate = new();
    private readonly Stack<int> _freeSlots = new();
    private readonly IPAddress[] _localAddresses;
    private MqttDeviceConnection?[] _registry = new MqttDeviceConnection?[256];
    private int _registryCount;

    internal long ConnectsCounter;
    internal long ConnectFailuresCounter;
    internal long PublishedCounter;
    internal long NotConnectedCounter;
    internal long QueueFullCounter;
    internal long RejectedCounter;
    internal long UnsentCounter;
    internal long UnacknowledgedCounter;
    internal long RefusedCounter;
    internal long BytesCounter;
    internal long CommandsCounter;
    internal long OpenCounter;

    public MqttProtocolAdapter(IOptions<MqttAdapterOptions> options, EndpointResolver endpoints, TimeProvider time, ILogger<MqttProtocolAdapter> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options.Value;
        Endpoints = endpoints;
        Logger = logger;
        Clock = new MqttAdapterClock(time, Sweep);
        _localAddresses = new IPAddress[Options.LocalAddresses.Count];
        for (int i = 0; i < _localAddresses.Length; i++)
        {
            _localAddresses[i] = IPAddress.Parse(Options.LocalAddresses[i]);
        }
    }

    public string Protocol => "mqtt";

    internal MqttAdapterOptions Options { get; }

    internal EndpointResolver Endpoints { get; }

    internal ILogger Logger { get; }

    internal MqttAdapterClock Clock { get; }

    /// <summary>Connections open now (connected, or connecting with a socket).</summary>
    public long OpenConnections => Volatile.Read(ref OpenCounter);

    public IDeviceConnection CreateConnection(DeviceConnectionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = _settings.GetValue(context.Model, model => MqttDeviceSettings.Create(model, Options));
        return new MqttDeviceConnection(this, context, settings);
    }

    /// <summary>Latency of acknowledged QoS 1/2 publishes over every connection of the adapter.</summary>
    internal PublishLatencyHistogram Latency { get; } = new();

    /// <summary>
    /// Connections = successful connects (CONNACK accepted) so far; MessagesPublished/BytesPublished = PUBLISH
    /// packets and payload bytes written to sockets; MessagesDropped = the failures of <see cref="PublishFailureCounts.Dropped"/>.
    /// </summary>
    public ProtocolAdapterMetrics GetMetrics()
    {
        var failures = new PublishFailureCounts(
            Interlocked.Read(ref NotConnectedCounter),
            Interlocked.Read(ref QueueFullCounter),
            Interlocked.Read(ref RejectedCounter),
            Interlocked.Read(ref UnsentCounter),
            Interlocked.Read(ref UnacknowledgedCounter),
            Interlocked.Read(ref RefusedCounter));
        return new ProtocolAdapterMetrics(
            Interlocked.Read(ref ConnectsCounter),
            Interlocked.Read(ref ConnectFailuresCounter),
            Interlocked.Read(ref PublishedCounter),
            failures.Dropped,
            Interlocked.Read(ref BytesCounter),
            Interlocked.Read(ref CommandsCounter))
        {
            Failures = failures,
            PublishLatency = Latency.Snapshot(),
            OpenConnections = OpenConnections,
        };
    }

    /// <summary>The source address of the device at <paramref name="index"/> (rotation over <see cref="MqttAdapterOptions.LocalAddresses"/>), or null.</summary>
    internal IPAddress? LocalAddressFor(int index, AddressFamily family)
    {
        if (_localAddresses.Length == 0)
        {
            return null;
        }

        var address = _localAddresses[(int)((uint)index % (uint)_localAddresses.Length)];
        return address.AddressFamily == family ? address : null;
    }

    /// <summary>Resolves a broker host (IPv4 preferred), cached for <see cref="MqttAdapterOptions.DnsCacheSeconds"/>.</summary>
    internal async ValueTask<(IPAddress? Address, string? Error)> ResolveAsync(string host)
    {
        if (IPAddress.TryParse(host, out var literal))
        {
            return (literal, null);
        }

        long now = Clock.NowMs;
        lock (_dns)
        {
            if (_dns.TryGetValue(host, out var cached) && cached.ExpiresMs > now)
            {
                return (cached.Address, null);
            }
        }

        try
        {
            var addresses = await Dns.GetHostAddressesAsync(host).ConfigureAwait(false);
            IPAddress? chosen = null;
            foreach (var a in addresses)
            {
                if (a.AddressFamily == AddressFamily.InterNetwork)
                {
                    chosen = a;
                    break;
                }

                chosen ??= a;
            }

            if (chosen is null)
            {
                return (null, $"host '{host}' has no address");
            }

            lock (_dns)
            {
                _dns[host] = (chosen, now + (Options.DnsCacheSeconds * 1000L));
            }

            return (chosen, null);
        }
        catch (SocketException ex)
        {
            return (null, $"cannot resolve host '{host}': {ex.SocketErrorCode}");
        }
    }

    internal MqttDeviceSettings SettingsFor(DeviceModel model) => _settings.GetValue(model, m => MqttDeviceSettings.Create(m, Options));

    internal void Register(MqttDeviceConnection connection)
    {
        lock (_registryGate)
        {
            int slot;
            if (_freeSlots.Count > 0)
            {
                slot = _freeSlots.Pop();
            }
            else
            {
                if (_registryCount == _registry.Length)
                {
                    var bigger = new MqttDeviceConnection?[_registry.Length * 2];
                    Array.Copy(_registry, bigger, _registry.Length);
                    Volatile.Write(ref _registry, bigger);
                }

                slot = _registryCount++;
            }

            connection.Slot = slot;
            Volatile.Write(ref _registry[slot], connection);
        }
    }

    internal void Unregister(MqttDeviceConnection connection)
    {
        lock (_registryGate)
        {
            int slot = connection.Slot;
            if (slot >= 0 && ReferenceEquals(_registry[slot], connection))
            {
                Volatile.Write(ref _registry[slot], null);
                _freeSlots.Push(slot);
                connection.Slot = -1;
            }
        }
    }

    /// <summary>Keep-alive and connect deadlines of every connection (on the clock's thread, lock-free iteration).</summary>
    private void Sweep(long nowMs)
    {
        var registry = Volatile.Read(ref _registry);
        for (int i = 0; i < registry.Length; i++)
        {
            var connection = Volatile.Read(ref registry[i]);
            if (connection is null)
            {
                continue;
            }

            try
            {
                connection.OnSweep(nowMs);
            }
            catch (Exception ex)
            {
                LogSweepFailed(Logger, connection.DeviceId, ex);
            }
        }
    }

    public void Dispose() => Clock.Dispose();
}
