using System.Collections.Concurrent;
using IoTix.Broker.Sessions;
using Microsoft.Extensions.Options;

namespace IoTix.Broker.Devices;

/// <summary>
/// Presence of every client: a dictionary of mutable entries. A publish only stamps its entry's last-seen time
/// (one lookup, one volatile write, no allocation); connect and disconnect replace the entry's state and raise
/// <see cref="Changed"/>.
/// </summary>
internal sealed class DevicePresence(ConnectedClients connected, TimeProvider timeProvider, IOptions<DeviceServicesOptions> options) : IDevicePresence
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly int _capacity = options.Value.PresenceCapacity;

    public event Action<DevicePresenceInfo>? Changed;

    public int Count => _entries.Count;

    public bool TryGet(string clientId, out DevicePresenceInfo presence)
    {
        if (_entries.TryGetValue(clientId, out var entry))
        {
            presence = entry.ToInfo(clientId);
            return true;
        }

        presence = null!;
        return false;
    }

    public IReadOnlyList<DevicePresenceInfo> Snapshot()
    {
        var result = new List<DevicePresenceInfo>(_entries.Count);
        foreach (var (clientId, entry) in _entries)
        {
            result.Add(entry.ToInfo(clientId));
        }

        return result;
    }

    public void OnConnected(string clientId, string? remoteEndPoint)
    {
        var now = timeProvider.GetUtcNow();
        var entry = _entries.GetOrAdd(clientId, static _ => new Entry());
        lock (entry)
        {
            entry.Online = true;
            entry.ConnectedAt = now;
            entry.DisconnectedAt = null;
            entry.DisconnectReason = null;
            entry.RemoteEndPoint = remoteEndPoint;
            entry.Touch(now);
        }

        Changed?.Invoke(entry.ToInfo(clientId));
    }

    public void OnDisconnected(string clientId, string reason)
    {
        if (!_entries.TryGetValue(clientId, out var entry))
        {
            return;
        }

        // A takeover ends the old connection while the new one is already up: still online.
        bool online = connected.IsConnected(clientId);
        var now = timeProvider.GetUtcNow();
        lock (entry)
        {
            entry.Online = online;
            if (!online)
            {
                entry.DisconnectedAt = now;
                entry.DisconnectReason = reason;
            }

            entry.Touch(now);
        }

        var info = entry.ToInfo(clientId);
        if (!online && _entries.Count > _capacity)
        {
            // Overflow: forget offline clients beyond the bound (registered devices keep their state in the registry).
            _entries.TryRemove(new KeyValuePair<string, Entry>(clientId, entry));
        }

        Changed?.Invoke(info);
    }

    /// <summary>A message from the client: per message, so no allocation.</summary>
    public void OnPublished(string clientId)
    {
        if (_entries.TryGetValue(clientId, out var entry))
        {
            entry.Touch(timeProvider.GetUtcNow());
        }
    }

    private sealed class Entry
    {
        private long _lastSeenTicks;

        public bool Online;
        public DateTimeOffset? ConnectedAt;
        public DateTimeOffset? DisconnectedAt;
        public string? DisconnectReason;
        public string? RemoteEndPoint;

        public void Touch(DateTimeOffset now) => Volatile.Write(ref _lastSeenTicks, now.UtcTicks);

        public DevicePresenceInfo ToInfo(string clientId)
        {
            lock (this)
            {
                return new DevicePresenceInfo(clientId, Online, new DateTimeOffset(Volatile.Read(ref _lastSeenTicks), TimeSpan.Zero), ConnectedAt, DisconnectedAt, DisconnectReason, RemoteEndPoint);
            }
        }
    }
}
