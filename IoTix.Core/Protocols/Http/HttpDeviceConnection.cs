using System.Buffers;
using System.Text;
using IoTix.Core.Models;

namespace IoTix.Core.Protocols.Http;

/// <summary>
/// One simulated HTTP device: its rendered URL, headers and credentials, and a queue of messages
/// (bounded by <see cref="DeviceConnectionContext.OutboundQueueLimit"/>) sent one request at a
/// time, as a device would, within the adapter's in-flight bound.
/// </summary>
internal sealed class HttpDeviceConnection : IDeviceConnection, IThreadPoolWorkItem
{
    private readonly HttpProtocolAdapter _adapter;
    private readonly object _lock = new();
    private readonly Queue<QueuedRequest> _queue = new();
    private bool _active;
    private volatile bool _connected;
    private CancellationTokenSource? _abort;
    private string? _lastTopic;
    private Uri? _lastTopicUri;

    public HttpDeviceConnection(HttpProtocolAdapter adapter, DeviceConnectionContext context, ModelTemplate defaultCommandPath)
    {
        _adapter = adapter;
        Context = context;
        var model = context.Model;
        DefaultTopic = ModelTemplate.Parse(model.Connection.TopicPattern ?? Devices.DeviceDefaults.TopicPattern)
            .RenderForDevice(context.DeviceId, context.Index, context.GroupId);
        ContentType = model.Payload.Format == PayloadFormat.Binary ? "application/octet-stream" : "application/json";
        ConfigurationError = Configure(model, context, defaultCommandPath);
    }

    public DeviceConnectionContext Context { get; }

    public string DeviceId => Context.DeviceId;

    public string DefaultTopic { get; }

    public string ContentType { get; }

    public string? ConfigurationError { get; }

    public HttpMethod Method { get; private set; } = HttpMethod.Post;

    public Uri Url { get; private set; } = null!;

    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>Rendered <c>connection.headers</c> plus Authorization from the credentials.</summary>
    public KeyValuePair<string, string>[] Headers { get; private set; } = [];

    /// <summary>Command name and URL to poll, one per model command.</summary>
    public (string Name, Uri Url)[] CommandUrls { get; private set; } = [];

    public bool IsConnected => _connected;

    public CancellationToken AbortToken => _abort?.Token ?? CancellationToken.None;

    public ValueTask<ConnectResult> ConnectAsync(CancellationToken cancellationToken = default)
    {
        if (ConfigurationError is { } error)
        {
            _adapter.CountConnect(this, error);
            return ValueTask.FromResult(ConnectResult.Failure(error));
        }

        lock (_lock)
        {
            if (!_connected)
            {
                _abort?.Dispose();
                _abort = new CancellationTokenSource();
                _connected = true;
                _adapter.CountConnect(this, null);
            }
        }

        return ValueTask.FromResult(ConnectResult.Success);
    }

    public PublishStatus TryPublish(string topic, ReadOnlySpan<byte> payload, int qos, bool retain)
    {
        if (!_connected)
        {
            _adapter.CountNotConnected();
            return PublishStatus.NotConnected;
        }

        bool start = false;
        lock (_lock)
        {
            if (!_connected)
            {
                _adapter.CountNotConnected();
                return PublishStatus.NotConnected;
            }

            if (_queue.Count >= Context.OutboundQueueLimit)
            {
                _adapter.CountQueueFull();
                if (Context.OutboundOverflow == OutboundOverflow.DropNewest)
                {
                    return PublishStatus.QueueFull;
                }

                _queue.Dequeue().Return();
            }

            var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, payload.Length));
            payload.CopyTo(buffer);
            _queue.Enqueue(new QueuedRequest(topic, buffer, payload.Length));
            if (!_active)
            {
                _active = true;
                start = true;
            }
        }

        if (start)
        {
            _adapter.RequestSlot(this);
        }

        return PublishStatus.Accepted;
    }

    public ValueTask DisconnectAsync(DisconnectMode mode, CancellationToken cancellationToken = default)
    {
        CancellationTokenSource? abort = null;
        lock (_lock)
        {
            _connected = false;
            while (_queue.TryDequeue(out var queued))
            {
                queued.Return();
                _adapter.CountUnsent();
            }

            if (mode == DisconnectMode.Abrupt)
            {
                abort = _abort; // in-flight requests are cut as a lost network would
            }
        }

        abort?.Cancel();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => DisconnectAsync(DisconnectMode.Abrupt);

    /// <summary>Runs one request on the thread pool (the adapter granted a slot).</summary>
    void IThreadPoolWorkItem.Execute() => _ = SendOneAsync();

    private async Task SendOneAsync()
    {
        QueuedRequest next;
        lock (_lock)
        {
            if (!_queue.TryDequeue(out next))
            {
                _active = false;
                _adapter.ReleaseSlot();
                return;
            }
        }

        try
        {
            await _adapter.SendAsync(this, ResolveUrl(next.Topic), next.Buffer, next.Length).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _adapter.CountUnexpected(this, ex); // a bug, not a network failure: logged, the device continues
        }
        finally
        {
            next.Return();
        }

        bool more;
        lock (_lock)
        {
            more = _queue.Count > 0;
            _active = more;
        }

        _adapter.ReleaseSlot();
        if (more)
        {
            _adapter.RequestSlot(this); // behind devices already waiting: one request per turn
        }
    }

    /// <summary>The connection URL for the connection topic; other topics (item topics, publish actions) are paths on the same server.</summary>
    private Uri ResolveUrl(string topic)
    {
        if (ReferenceEquals(topic, DefaultTopic) || string.Equals(topic, DefaultTopic, StringComparison.Ordinal))
        {
            return Url;
        }

        if (ReferenceEquals(topic, _lastTopic) && _lastTopicUri is { } cached)
        {
            return cached;
        }

        var uri = new Uri(BaseUrl, topic.TrimStart('/'));
        _lastTopicUri = uri;
        _lastTopic = topic;
        return uri;
    }

    private string? Configure(DeviceModel model, DeviceConnectionContext context, ModelTemplate defaultCommandPath)
    {
        if (model.Connection.Url is not { } pattern)
        {
            return "an HTTP device needs connection.url (e.g. http://localhost:8080/api/devices/${deviceId}/telemetry)";
        }

        var url = context.Render(pattern);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            return $"connection.url '{url}' is not an absolute http:// or https:// URL";
        }

        Url = uri;
        BaseUrl = new Uri(uri.GetLeftPart(UriPartial.Authority) + "/");
        switch (model.Connection.Method?.ToUpperInvariant())
        {
            case null or "POST":
                Method = HttpMethod.Post;
                break;
            case "PUT":
                Method = HttpMethod.Put;
                break;
            default:
                return $"connection.method '{model.Connection.Method}' is not supported for HTTP telemetry (POST or PUT)";
        }

        var headers = new List<KeyValuePair<string, string>>();
        string? missing = null;
        string Render(string value) => ModelTemplate.Parse(value).RenderForDevice(context.DeviceId, context.Index, context.GroupId, name =>
        {
            if (!name.StartsWith("env:", StringComparison.Ordinal))
            {
                return null;
            }

            var v = Environment.GetEnvironmentVariable(name[4..]);
            if (v is null)
            {
                missing ??= name[4..];
            }

            return v ?? string.Empty;
        });

        bool hasAuthorization = false;
        if (model.Connection.Headers is { } configured)
        {
            foreach (var (key, value) in configured)
            {
                headers.Add(new(key, Render(value)));
                hasAuthorization |= string.Equals(key, "Authorization", StringComparison.OrdinalIgnoreCase);
            }
        }

        if (!hasAuthorization && model.Connection.Credentials is { } credentials)
        {
            if (credentials.Token is { } token)
            {
                headers.Add(new("Authorization", "Bearer " + Render(token)));
            }
            else if (credentials.Username is { } user)
            {
                var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes(Render(user) + ":" + Render(credentials.Password ?? string.Empty)));
                headers.Add(new("Authorization", "Basic " + basic));
            }
        }

        if (missing is not null)
        {
            return $"environment variable {missing} is not set (used in connection.headers or connection.credentials)";
        }

        Headers = [.. headers];
        var commands = model.Commands;
        var urls = new (string, Uri)[commands.Count];
        for (int i = 0; i < urls.Length; i++)
        {
            var command = commands[i];
            string path = command.Topic is { } topic
                ? context.Render(topic)
                : defaultCommandPath.RenderForDevice(context.DeviceId, context.Index, context.GroupId, n => n == "command" ? command.Name : null);
            urls[i] = (command.Name, new Uri(BaseUrl, path.TrimStart('/')));
        }

        CommandUrls = urls;
        return null;
    }

    private readonly record struct QueuedRequest(string Topic, byte[] Buffer, int Length)
    {
        public void Return() => ArrayPool<byte>.Shared.Return(Buffer);
    }
}
