using IoTix.Core.Protocols;

namespace IoTix.Bench.Core;

/// <summary>
/// A protocol adapter that connects instantly and counts what it is handed, so the benchmark
/// measures the core alone (scheduler, generators, payloads) without a network.
/// </summary>
internal sealed class CountingAdapter : IProtocolAdapter
{
    private long _connections;
    private long _messages;
    private long _bytes;

    public string Protocol => "mqtt";

    public long Messages => Interlocked.Read(ref _messages);

    public IDeviceConnection CreateConnection(DeviceConnectionContext context) => new Connection(this);

    public ProtocolAdapterMetrics GetMetrics() =>
        new(Interlocked.Read(ref _connections), 0, Messages, 0, Interlocked.Read(ref _bytes), 0);

    private sealed class Connection(CountingAdapter owner) : IDeviceConnection
    {
        public bool IsConnected { get; private set; }

        public ValueTask<ConnectResult> ConnectAsync(CancellationToken cancellationToken = default)
        {
            IsConnected = true;
            Interlocked.Increment(ref owner._connections);
            return ValueTask.FromResult(ConnectResult.Success);
        }

        public PublishStatus TryPublish(string topic, ReadOnlySpan<byte> payload, int qos, bool retain)
        {
            // Single scheduler thread: plain increments would do, but keep the counters readable from the sampler thread.
            Interlocked.Increment(ref owner._messages);
            Interlocked.Add(ref owner._bytes, payload.Length);
            return PublishStatus.Accepted;
        }

        public ValueTask DisconnectAsync(DisconnectMode mode, CancellationToken cancellationToken = default)
        {
            IsConnected = false;
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
