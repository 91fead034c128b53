using System.Buffers;
using System.Net;
using IoTix.Core.Generators;
using IoTix.Core.Models;

namespace IoTix.Core.Protocols.Coap;

/// <summary>
/// One simulated CoAP device: its resolved target (method, Uri-Path/Uri-Query options encoded
/// once, Content-Format), its observed command resources, and its share of the adapter's state
/// (at most one Confirmable telemetry exchange in flight, NSTART = 1, further Confirmable messages
/// wait in a queue bounded by <see cref="DeviceConnectionContext.OutboundQueueLimit"/>). Mutable
/// state is guarded by the adapter's gate.
/// </summary>
internal sealed class CoapDeviceConnection : IDeviceConnection
{
    private readonly CoapProtocolAdapter _adapter;

    public CoapDeviceConnection(CoapProtocolAdapter adapter, DeviceConnectionContext context, uint handle, ulong seed, ModelTemplate defaultCommandPath)
    {
        _adapter = adapter;
        Context = context;
        Handle = handle;
        Random = DeviceRandom.For(seed, context.DeviceId, 0x434F4150);
        NextTokenSequence = (uint)Random.NextUInt64() & 0x7FFF_FFFF;
        var model = context.Model;
        DefaultTopic = ModelTemplate.Parse(model.Connection.TopicPattern ?? Devices.DeviceDefaults.TopicPattern)
            .RenderForDevice(context.DeviceId, context.Index, context.GroupId);
        ContentFormat = model.Payload.Format == PayloadFormat.Binary ? CoapContentFormat.OctetStream : CoapContentFormat.Json;
        ConfigurationError = Configure(model, context, defaultCommandPath);
    }

    public DeviceConnectionContext Context { get; }

    public string DeviceId => Context.DeviceId;

    /// <summary>High 32 bits of every token this device uses.</summary>
    public uint Handle { get; }

    /// <summary>Backoff randomness, seeded from the run seed and the device id.</summary>
    public DeviceRandom Random;

    public uint NextTokenSequence;

    public string DefaultTopic { get; }

    public int ContentFormat { get; }

    public string? ConfigurationError { get; }

    public string Host { get; private set; } = string.Empty;

    public int Port { get; private set; }

    /// <summary>Uri-Host value when the URL names a host rather than an IP literal [RFC 7252 6.4].</summary>
    public string? UriHost { get; private set; }

    public byte Method { get; private set; } = CoapCode.Post;

    /// <summary>Options of a telemetry request to the connection URL, encoded once (from option number 0).</summary>
    public byte[] DefaultOptions { get; private set; } = [];

    public int DefaultOptionsLastNumber { get; private set; }

    public CoapObservation[] Observations { get; private set; } = [];

    public IPEndPoint? Server;
    public CoapEndpoint? Endpoint;
    public bool Connected;
    public bool Connecting;
    public int Generation;
    public CoapExchange? InFlight;
    public TaskCompletionSource<ConnectResult>? PingResult;
    public Queue<PendingMessage>? Pending;
    public int ConsecutiveTimeouts;

    public bool IsConnected => Volatile.Read(ref Connected);

    public ValueTask<ConnectResult> ConnectAsync(CancellationToken cancellationToken = default) => _adapter.ConnectAsync(this, cancellationToken);

    public PublishStatus TryPublish(string topic, ReadOnlySpan<byte> payload, int qos, bool retain) => _adapter.TryPublish(this, topic, payload, qos);

    public ValueTask DisconnectAsync(DisconnectMode mode, CancellationToken cancellationToken = default) => _adapter.Disconnect(this, mode);

    public ValueTask DisposeAsync() => _adapter.Disconnect(this, DisconnectMode.Abrupt);

    public ulong NewRequestToken()
    {
        uint seq = NextTokenSequence;
        NextTokenSequence = (seq + 1) & 0x7FFF_FFFF;
        return ((ulong)Handle << 32) | seq;
    }

    private string? Configure(DeviceModel model, DeviceConnectionContext context, ModelTemplate defaultCommandPath)
    {
        if (model.Connection.Url is not { } pattern)
        {
            return "a CoAP device needs connection.url (e.g. coap://localhost:5683/devices/${deviceId})";
        }

        var url = context.Render(pattern);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("coap" or "coaps"))
        {
            return $"connection.url '{url}' is not an absolute coap:// URL";
        }

        if (uri.Scheme == "coaps")
        {
            return "coaps:// (DTLS) is not supported by the built-in CoAP adapter; use coap://";
        }

        Host = uri.IdnHost;
        Port = uri.IsDefaultPort || uri.Port < 0 ? 5683 : uri.Port;
        UriHost = uri.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6 ? null : Host;
        switch (model.Connection.Method?.ToUpperInvariant())
        {
            case null or "POST":
                Method = CoapCode.Post;
                break;
            case "PUT":
                Method = CoapCode.Put;
                break;
            default:
                return $"connection.method '{model.Connection.Method}' is not supported for CoAP telemetry (POST or PUT)";
        }

        var path = SplitPath(uri.AbsolutePath);
        var query = uri.Query.Length > 1 ? uri.Query[1..].Split('&', StringSplitOptions.RemoveEmptyEntries) : [];
        var buffer = new byte[EncodedSize(UriHost, path, query) + 8];
        var writer = new CoapMessageWriter(buffer);
        int last = WriteRequestOptions(ref writer, UriHost, path, ContentFormat, query, observe: null);
        DefaultOptions = buffer.AsSpan(0, writer.Length).ToArray();
        DefaultOptionsLastNumber = last;

        var commands = model.Commands;
        var observations = new CoapObservation[commands.Count];
        for (int i = 0; i < observations.Length; i++)
        {
            var command = commands[i];
            string resource = command.Topic is { } topic
                ? context.Render(topic)
                : defaultCommandPath.RenderForDevice(context.DeviceId, context.Index, context.GroupId, n => n == "command" ? command.Name : null);
            observations[i] = new CoapObservation(this, command.Name, SplitPath(resource), ((ulong)Handle << 32) | 0x8000_0000u | (uint)i);
        }

        Observations = observations;
        return null;
    }

    /// <summary>Path segments of a URL path or a topic (empty segments dropped, percent-escapes decoded).</summary>
    public static string[] SplitPath(string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i < segments.Length; i++)
        {
            segments[i] = Uri.UnescapeDataString(segments[i]);
        }

        return segments;
    }

    /// <summary>Upper bound of the encoded size of request options.</summary>
    public static int EncodedSize(string? uriHost, string[] path, string[]? query)
    {
        int size = 16; // Observe, Content-Format
        if (uriHost is not null)
        {
            size += 3 + System.Text.Encoding.UTF8.GetByteCount(uriHost);
        }

        foreach (var s in path)
        {
            size += 3 + System.Text.Encoding.UTF8.GetByteCount(s);
        }

        if (query is not null)
        {
            foreach (var q in query)
            {
                size += 3 + System.Text.Encoding.UTF8.GetByteCount(q);
            }
        }

        return size;
    }

    /// <summary>Writes request options in number order; returns the last option number written.</summary>
    public static int WriteRequestOptions(ref CoapMessageWriter writer, string? uriHost, string[] path, int contentFormat, string[]? query, uint? observe)
    {
        int last = 0;
        if (uriHost is not null)
        {
            writer.WriteOption(CoapOptionNumber.UriHost, uriHost.AsSpan());
            last = CoapOptionNumber.UriHost;
        }

        if (observe is { } o)
        {
            writer.WriteOption(CoapOptionNumber.Observe, o);
            last = CoapOptionNumber.Observe;
        }

        foreach (var segment in path)
        {
            writer.WriteOption(CoapOptionNumber.UriPath, segment.AsSpan());
            last = CoapOptionNumber.UriPath;
        }

        if (contentFormat >= 0)
        {
            writer.WriteOption(CoapOptionNumber.ContentFormat, (uint)contentFormat);
            last = CoapOptionNumber.ContentFormat;
        }

        if (query is not null)
        {
            foreach (var q in query)
            {
                writer.WriteOption(CoapOptionNumber.UriQuery, q.AsSpan());
                last = CoapOptionNumber.UriQuery;
            }
        }

        return last;
    }

    /// <summary>Writes the Uri-Path options of a topic (other than the connection topic) without allocating.</summary>
    public static int WriteTopicOptions(ref CoapMessageWriter writer, string? uriHost, string topic, int contentFormat)
    {
        if (uriHost is not null)
        {
            writer.WriteOption(CoapOptionNumber.UriHost, uriHost.AsSpan());
        }

        var rest = topic.AsSpan();
        while (rest.Length > 0)
        {
            int slash = rest.IndexOf('/');
            var segment = slash < 0 ? rest : rest[..slash];
            rest = slash < 0 ? default : rest[(slash + 1)..];
            if (segment.Length > 0)
            {
                writer.WriteOption(CoapOptionNumber.UriPath, segment);
            }
        }

        writer.WriteOption(CoapOptionNumber.ContentFormat, (uint)contentFormat);
        return CoapOptionNumber.ContentFormat;
    }
}

/// <summary>A Confirmable message waiting for the device's previous one (pooled payload copy).</summary>
internal readonly record struct PendingMessage(string Topic, byte[] Buffer, int Length)
{
    public void Return() => ArrayPool<byte>.Shared.Return(Buffer);
}
