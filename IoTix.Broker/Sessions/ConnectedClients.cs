using System.Collections.Concurrent;

namespace IoTix.Broker.Sessions;

/// <summary>Client ids with a live connection (for the duplicate client id policy and shared subscription choice).</summary>
internal sealed class ConnectedClients
{
    private readonly ConcurrentDictionary<string, int> _connections = new(StringComparer.Ordinal);

    public int Count => _connections.Count;

    public bool IsConnected(string clientId) => _connections.ContainsKey(clientId);

    public void Connected(string clientId) => _connections.AddOrUpdate(clientId, 1, static (_, count) => count + 1);

    public void Disconnected(string clientId)
    {
        while (_connections.TryGetValue(clientId, out var count))
        {
            if (count <= 1 ? _connections.TryRemove(new KeyValuePair<string, int>(clientId, count)) : _connections.TryUpdate(clientId, count - 1, count))
            {
                return;
            }
        }
    }
}
