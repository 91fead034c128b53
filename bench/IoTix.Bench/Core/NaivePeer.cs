using System.Text.Json;

namespace IoTix.Bench.Core;

/// <summary>
/// The comparison point: the obvious design many simulators use (one System.Threading.Timer per
/// device, a System.Random per device, a dictionary payload serialized with JsonSerializer per
/// message). Same devices, same interval, same payload fields as the IoTix run.
/// </summary>
internal sealed class NaivePeer : IDisposable
{
    private readonly List<NaiveDevice> _devices = [];
    private long _messages;
    private long _bytes;

    public long Messages => Interlocked.Read(ref _messages);

    public long Bytes => Interlocked.Read(ref _bytes);

    public void Start(int devices, TimeSpan interval)
    {
        for (int i = 0; i < devices; i++)
        {
            // Spread first fires over one interval, as a batched launch would.
            var due = TimeSpan.FromTicks(interval.Ticks * i / devices);
            _devices.Add(new NaiveDevice(this, $"device-{i}", i, due, interval));
        }
    }

    public void Dispose()
    {
        foreach (var device in _devices)
        {
            device.Dispose();
        }
    }

    private sealed class NaiveDevice : IDisposable
    {
        private readonly NaivePeer _owner;
        private readonly string _id;
        private readonly Random _random;
        private readonly Timer _timer;

        public NaiveDevice(NaivePeer owner, string id, int index, TimeSpan due, TimeSpan interval)
        {
            _owner = owner;
            _id = id;
            _random = new Random(index);
            _timer = new Timer(_ => Fire(), null, due, interval);
        }

        private void Fire()
        {
            var payload = new Dictionary<string, object>
            {
                ["deviceId"] = _id,
                ["timestamp"] = DateTimeOffset.UtcNow,
                ["temperature"] = 15 + (_random.NextDouble() * 20),
                ["humidity"] = 20 + (_random.NextDouble() * 70),
                ["pressure"] = 980 + (_random.NextDouble() * 60),
            };
            var bytes = JsonSerializer.SerializeToUtf8Bytes(payload);
            Interlocked.Increment(ref _owner._messages);
            Interlocked.Add(ref _owner._bytes, bytes.Length);
        }

        public void Dispose() => _timer.Dispose();
    }
}
