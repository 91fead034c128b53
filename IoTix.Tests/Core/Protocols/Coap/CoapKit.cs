using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Threading.Channels;
using IoTix.Core.Devices;
using IoTix.Core.Models;
using IoTix.Core.Protocols;
using IoTix.Core.Protocols.Coap;
using IoTix.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace IoTix.Tests.Core.Protocols.Coap;

/// <summary>Builds CoAP adapters, device models and connections for tests.</summary>
internal static class CoapKit
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    public static CoapProtocolAdapter Adapter(TimeProvider? time = null, Action<CoapOptions>? configure = null)
    {
        var options = new CoapOptions();
        configure?.Invoke(options);
        return new CoapProtocolAdapter(time ?? TimeProvider.System, Options.Create(options), Options.Create(new SimulationOptions { Seed = 7 }), NullLogger<CoapProtocolAdapter>.Instance);
    }

    public static DeviceModel Model(string url, string method = "POST", string commands = "[]", string payloadFormat = "json") =>
        JsonSerializer.Deserialize<DeviceModel>($$"""
            {
              "id": "coap-test", "name": "CoAP test", "type": "sensor", "protocol": "coap",
              "connection": { "url": "{{url}}", "method": "{{method}}" },
              "telemetry": [ { "name": "t", "type": "number", "generator": { "type": "constant", "value": 1 }, "intervalMs": 1000 } ],
              "commands": {{commands}},
              "payload": { "format": "{{payloadFormat}}" }
            }
            """, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;

    public static (IDeviceConnection Connection, RecordingEvents Events, string Topic) Connect(
        CoapProtocolAdapter adapter, DeviceModel model, string deviceId = "dev-1", int queueLimit = 1000, OutboundOverflow overflow = OutboundOverflow.DropNewest)
    {
        var events = new RecordingEvents();
        var connection = adapter.CreateConnection(new DeviceConnectionContext
        {
            DeviceId = deviceId,
            Index = 0,
            GroupId = "g",
            Model = model,
            ClientId = deviceId,
            Events = events,
            OutboundQueueLimit = queueLimit,
            OutboundOverflow = overflow,
        });
        return (connection, events, $"devices/{deviceId}/telemetry");
    }
}

/// <summary>Records commands and lost connections; tests wait on them.</summary>
internal sealed class RecordingEvents : IDeviceConnectionEvents
{
    private readonly Channel<(string Name, byte[] Payload)> _commands = Channel.CreateUnbounded<(string, byte[])>();

    public List<string> Lost { get; } = [];

    public void CommandReceived(string commandName, ReadOnlySpan<byte> payload) => _commands.Writer.TryWrite((commandName, payload.ToArray()));

    public void ConnectionLost(string reason)
    {
        lock (Lost)
        {
            Lost.Add(reason);
        }
    }

    public async Task<(string Name, byte[] Payload)> NextCommandAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        return await _commands.Reader.ReadAsync(cts.Token);
    }

    public bool TryReadCommand(out (string Name, byte[] Payload) command) => _commands.Reader.TryRead(out command);
}

/// <summary>A scripted CoAP peer on a loopback UDP socket: receives what the adapter sends and answers by hand.</summary>
internal sealed class UdpPeer : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly Channel<byte[]> _received = Channel.CreateUnbounded<byte[]>();
    private readonly CancellationTokenSource _stop = new();

    public UdpPeer()
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Port = ((IPEndPoint)_socket.LocalEndPoint!).Port;
        _ = ReceiveLoopAsync();
    }

    public int Port { get; }

    /// <summary>Where the adapter's socket sends from (known after the first datagram).</summary>
    public EndPoint? Client { get; private set; }

    public string Url(string path) => $"coap://127.0.0.1:{Port}/{path}";

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[65_535];
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var result = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
                Client = result.RemoteEndPoint;
                _received.Writer.TryWrite(buffer[..result.ReceivedBytes]);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
        }
    }

    public async Task<byte[]> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? CoapKit.Wait);
        return await _received.Reader.ReadAsync(cts.Token);
    }

    public bool TryReceive(out byte[] datagram) => _received.Reader.TryRead(out datagram!);

    public void Send(ReadOnlySpan<byte> datagram) => _socket.SendTo(datagram, SocketFlags.None, Client!);

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
        _stop.Dispose();
    }
}
