using System.Text;
using IoTix.Core.Protocols;

namespace IoTix.Tests.Shared;

/// <summary>
/// An in-process protocol adapter for engine tests: connects instantly (or fails, or waits for the
/// test), records what devices publish and how they disconnect, and can inject commands and lost
/// connections. With <see cref="RecordPayloads"/> off it only counts (for allocation tests).
/// </summary>
public sealed class RecordingProtocolAdapter(string protocol = "mqtt") : IProtocolAdapter
{
    private readonly object _lock = new();
    private readonly List<RecordedMessage> _messages = [];
    private readonly Dictionary<string, RecordingConnection> _connections = new(StringComparer.Ordinal);
    private long _published;
    private long _connects;

    public string Protocol { get; } = protocol;

    /// <summary>Copy every payload into <see cref="Messages"/> (default true).</summary>
    public bool RecordPayloads { get; set; } = true;

    /// <summary>Device ids whose connect fails.</summary>
    public HashSet<string> FailConnectFor { get; } = new(StringComparer.Ordinal);

    /// <summary>When set, connects complete only when the test completes this source.</summary>
    public TaskCompletionSource<ConnectResult>? PendingConnect { get; set; }

    public long PublishedCount => Interlocked.Read(ref _published);

    public IReadOnlyList<RecordedMessage> Messages
    {
        get
        {
            lock (_lock)
            {
                return [.. _messages];
            }
        }
    }

    public List<(string DeviceId, DisconnectMode Mode)> Disconnects { get; } = [];

    public IDeviceConnection CreateConnection(DeviceConnectionContext context)
    {
        var connection = new RecordingConnection(this, context);
        lock (_lock)
        {
            _connections[connection.Key] = connection;
        }

        return connection;
    }

    public ProtocolAdapterMetrics GetMetrics() => new(Interlocked.Read(ref _connects), 0, PublishedCount, 0, 0, 0);

    public RecordingConnection Connection(string deviceId)
    {
        lock (_lock)
        {
            return _connections[deviceId];
        }
    }

    public IReadOnlyList<RecordedMessage> MessagesFor(string deviceId) => Messages.Where(m => m.DeviceId == deviceId).ToList();

    public void Clear()
    {
        lock (_lock)
        {
            _messages.Clear();
            Disconnects.Clear();
        }
    }

    public sealed class RecordingConnection(RecordingProtocolAdapter adapter, DeviceConnectionContext context) : IDeviceConnection
    {
        public DeviceConnectionContext Context { get; } = context;

        /// <summary>The device's engine key (namespace + device id): what <see cref="Connection"/> and <see cref="RecordedMessage.DeviceId"/> use.</summary>
        public string Key { get; } = IoTix.Core.Devices.DeviceNamespace.Key(context.TopicNamespace, context.DeviceId);

        public bool IsConnected { get; private set; }

        public async ValueTask<ConnectResult> ConnectAsync(CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref adapter._connects);
            ConnectResult result;
            if (adapter.PendingConnect is { } pending)
            {
                result = await pending.Task.ConfigureAwait(false);
            }
            else
            {
                result = adapter.FailConnectFor.Contains(Key) ? ConnectResult.Failure("refused by test") : ConnectResult.Success;
            }

            IsConnected = result.Succeeded;
            return result;
        }

        public PublishStatus TryPublish(string topic, ReadOnlySpan<byte> payload, int qos, bool retain)
        {
            if (!IsConnected)
            {
                return PublishStatus.NotConnected;
            }

            Interlocked.Increment(ref adapter._published);
            if (adapter.RecordPayloads)
            {
                lock (adapter._lock)
                {
                    adapter._messages.Add(new RecordedMessage(Key, topic, Encoding.UTF8.GetString(payload), qos, retain));
                }
            }

            return PublishStatus.Accepted;
        }

        public ValueTask DisconnectAsync(DisconnectMode mode, CancellationToken cancellationToken = default)
        {
            IsConnected = false;
            lock (adapter._lock)
            {
                adapter.Disconnects.Add((Key, mode));
            }

            return ValueTask.CompletedTask;
        }

        /// <summary>Simulates a command arriving from the broker.</summary>
        public void ReceiveCommand(string name, string payload) => Context.Events.CommandReceived(name, Encoding.UTF8.GetBytes(payload));

        /// <summary>Simulates the broker closing the connection.</summary>
        public void Lose(string reason)
        {
            IsConnected = false;
            Context.Events.ConnectionLost(reason);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

public sealed record RecordedMessage(string DeviceId, string Topic, string Payload, int Qos, bool Retain);
