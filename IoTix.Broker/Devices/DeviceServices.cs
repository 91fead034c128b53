using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using IoTix.Broker.Methods;
using IoTix.Broker.Server;
using IoTix.Broker.Shadows;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Server;

namespace IoTix.Broker.Devices;

/// <summary>
/// Hooks presence, shadows and direct methods into the running server. On the publish path it stamps the
/// publisher's last-seen time and, for topics under <c>$iotix/things/</c> or <c>tenants/{t}/$iotix/things/</c> only
/// (the thing key is <c>{thing}</c> or <c>tenants/{t}/{thing}</c>, see <see cref="DeviceTopics"/>), hands shadow requests to bounded
/// per-worker queues (a thing always maps to the same worker, so its requests keep their order) and method answers
/// to the pending calls. A subscription to a thing's delta topic gets the current delta at once (a device that was
/// offline while desired changed learns it on reconnect).
/// </summary>
internal sealed partial class DeviceServices : IBrokerServerExtension
{
    private readonly DevicePresence _presence;
    private readonly ShadowService _shadows;
    private readonly DirectMethods _methods;
    private readonly DeviceServicesOptions _options;
    private readonly ILogger<DeviceServices> _logger;
    private readonly Channel<ShadowRequest>[] _queues;
    private readonly List<Task> _workers = [];
    private readonly TimeProvider _timeProvider;
    private MqttServer? _server;

    public DeviceServices(DevicePresence presence, ShadowService shadows, DirectMethods methods, IOptions<DeviceServicesOptions> options, TimeProvider timeProvider, ILogger<DeviceServices> logger)
    {
        _timeProvider = timeProvider;
        _presence = presence;
        _shadows = shadows;
        _methods = methods;
        _options = options.Value;
        _logger = logger;
        _queues = new Channel<ShadowRequest>[_options.ShadowWorkers];
        for (int i = 0; i < _queues.Length; i++)
        {
            _queues[i] = Channel.CreateBounded<ShadowRequest>(new BoundedChannelOptions(Math.Max(1, _options.ShadowQueueCapacity / _queues.Length))
            {
                SingleReader = true,
                FullMode = BoundedChannelFullMode.Wait, // TryWrite fails when full: the request is rejected with 503
            });
        }
    }

    public void Attach(MqttServer server)
    {
        if (!_options.Enabled)
        {
            return;
        }

        _server = server;
        _shadows.Server = server;
        _methods.Server = server;
        server.ClientConnectedAsync += OnConnectedAsync;
        server.ClientDisconnectedAsync += OnDisconnectedAsync;
        server.InterceptingPublishAsync += OnPublishAsync;
        server.ClientSubscribedTopicAsync += OnSubscribedAsync;
        foreach (var queue in _queues)
        {
            _workers.Add(Task.Run(() => RunWorkerAsync(queue.Reader)));
        }
    }

    public void Detach()
    {
        if (_server is not { } server)
        {
            return;
        }

        server.ClientConnectedAsync -= OnConnectedAsync;
        server.ClientDisconnectedAsync -= OnDisconnectedAsync;
        server.InterceptingPublishAsync -= OnPublishAsync;
        server.ClientSubscribedTopicAsync -= OnSubscribedAsync;
        foreach (var queue in _queues)
        {
            queue.Writer.TryComplete();
        }

        Task.WaitAll([.. _workers], TimeSpan.FromSeconds(5));
        _shadows.Server = null;
        _methods.Server = null;
        _server = null;
    }

    private Task OnConnectedAsync(ClientConnectedEventArgs args)
    {
        _presence.OnConnected(args.ClientId, args.RemoteEndPoint?.ToString());
        return Task.CompletedTask;
    }

    private Task OnDisconnectedAsync(ClientDisconnectedEventArgs args)
    {
        _presence.OnDisconnected(args.ClientId, args.DisconnectType == MqttClientDisconnectType.Clean ? "clean" : args.DisconnectType == MqttClientDisconnectType.Takeover ? "taken over" : "not clean");
        return Task.CompletedTask;
    }

    private Task OnPublishAsync(InterceptingPublishEventArgs args)
    {
        if (args.ClientId is { Length: > 0 } clientId)
        {
            _presence.OnPublished(clientId);
        }

        var topic = args.ApplicationMessage.Topic;
        // One first-character test for topics that are neither $iotix/things/... nor tenants/{t}/$iotix/things/...
        if (!args.ProcessPublish || !DeviceTopics.TryParse(topic, out var thingName, out var rest))
        {
            return Task.CompletedTask;
        }

        if (rest.StartsWith("methods/") && rest.EndsWith("/response"))
        {
            if (!_methods.TryComplete(args.ApplicationMessage))
            {
                LogUnmatchedMethodResponse(_logger, topic, args.ClientId ?? "");
            }

            return Task.CompletedTask;
        }

        var operation = rest switch
        {
            "shadow/update" => ShadowOperation.Update,
            "shadow/get" => ShadowOperation.Get,
            "shadow/delete" => ShadowOperation.Delete,
            _ => ShadowOperation.None,
        };
        if (operation == ShadowOperation.None || args.ClientId == ShadowService.SenderClientId)
        {
            return Task.CompletedTask;
        }

        var payload = args.ApplicationMessage.Payload.IsEmpty ? [] : args.ApplicationMessage.Payload.ToArray();
        var queue = _queues[(int)((uint)StringComparer.Ordinal.GetHashCode(thingName) % (uint)_queues.Length)];
        if (!queue.Writer.TryWrite(new ShadowRequest(operation, thingName, payload)))
        {
            LogShadowQueueFull(_logger, thingName, _options.ShadowQueueCapacity);
            return _shadows.PublishAsync(
                DeviceTopics.Shadow(thingName) + "/" + OperationName(operation) + "/rejected",
                _shadows.RejectedPayload(ShadowError.Unavailable, $"the shadow queue is full ({_options.ShadowQueueCapacity} requests, Broker:Devices:ShadowQueueCapacity); retry later", null));
        }

        return Task.CompletedTask;
    }

    private Task OnSubscribedAsync(ClientSubscribedTopicEventArgs args)
    {
        var filter = args.TopicFilter.Topic;
        if (filter.EndsWith("/shadow/update/delta", StringComparison.Ordinal)
            && DeviceTopics.TryParse(filter, out var thingName, out var rest)
            && rest.SequenceEqual("shadow/update/delta")
            && DeviceTopics.IsValidKey(thingName))
        {
            _ = DeliverDeltaAsync(args.ClientId, thingName);
        }

        return Task.CompletedTask;
    }

    private async Task DeliverDeltaAsync(string clientId, string thingName)
    {
        try
        {
            var message = await _shadows.DeltaMessageAsync(thingName).ConfigureAwait(false);
            if (message is null || _server is not { IsStarted: true } server)
            {
                return;
            }

            var session = await server.GetSessionAsync(clientId).ConfigureAwait(false);
            if (session is not null && session.TryEnqueueApplicationMessage(message, out _))
            {
                LogDeltaOnSubscribe(_logger, thingName, clientId);
            }
        }
        catch (Exception exception)
        {
            LogDeltaOnSubscribeFailed(_logger, exception, thingName, clientId);
        }
    }

    private async Task RunWorkerAsync(ChannelReader<ShadowRequest> reader)
    {
        await foreach (var request in reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                await HandleAsync(request).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                LogShadowRequestFailed(_logger, exception, request.ThingName);
            }
        }
    }

    private async Task HandleAsync(ShadowRequest request)
    {
        var root = DeviceTopics.Shadow(request.ThingName) + "/" + OperationName(request.Operation);
        string? clientToken = null;
        switch (request.Operation)
        {
            case ShadowOperation.Update:
                if (!ShadowUpdate.TryParse(request.Payload, out var update, out var error))
                {
                    await _shadows.PublishAsync(root + "/rejected", _shadows.RejectedPayload(ShadowError.BadRequest, error, TryReadClientToken(request.Payload))).ConfigureAwait(false);
                    return;
                }

                var result = await _shadows.UpdateAsync(request.ThingName, update).ConfigureAwait(false);
                if (!result.Succeeded)
                {
                    await _shadows.PublishAsync(root + "/rejected", _shadows.RejectedPayload(result.Error, result.Message, update.ClientToken)).ConfigureAwait(false);
                }

                return;
            case ShadowOperation.Get:
                clientToken = TryReadClientToken(request.Payload);
                var document = await _shadows.GetAsync(request.ThingName).ConfigureAwait(false);
                await (document is null
                    ? _shadows.PublishAsync(root + "/rejected", _shadows.RejectedPayload(ShadowError.NotFound, $"No shadow exists with name: '{request.ThingName}'", clientToken))
                    : _shadows.PublishAsync(root + "/accepted", document.ToJson(clientToken))).ConfigureAwait(false);
                return;
            case ShadowOperation.Delete:
                clientToken = TryReadClientToken(request.Payload);
                long? version = TryReadVersion(request.Payload);
                var deleted = await _shadows.DeleteAsync(request.ThingName, version).ConfigureAwait(false);
                await (deleted.Succeeded
                    ? _shadows.PublishAsync(root + "/accepted", DeletedPayload(deleted.Document!, clientToken))
                    : _shadows.PublishAsync(root + "/rejected", _shadows.RejectedPayload(deleted.Error, deleted.Message, clientToken))).ConfigureAwait(false);
                return;
        }
    }

    private string DeletedPayload(ShadowDocument document, string? clientToken)
    {
        var body = new JsonObject { ["version"] = document.Version, ["timestamp"] = _timeProvider.GetUtcNow().ToUnixTimeSeconds() };
        if (clientToken is not null)
        {
            body["clientToken"] = clientToken;
        }

        return body.ToJsonString();
    }

    private static JsonObject? TryReadObject(byte[] payload)
    {
        if (payload.Length == 0)
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(payload) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? TryReadClientToken(byte[] payload) =>
        TryReadObject(payload) is { } body && ShadowUpdate.TryReadCommon(body, out _, out var token, out _) ? token : null;

    private static long? TryReadVersion(byte[] payload) =>
        TryReadObject(payload) is { } body && ShadowUpdate.TryReadCommon(body, out var version, out _, out _) ? version : null;

    private static string OperationName(ShadowOperation operation) => operation switch
    {
        ShadowOperation.Update => "update",
        ShadowOperation.Get => "get",
        _ => "delete",
    };

    private enum ShadowOperation : byte
    {
        None,
        Update,
        Get,
        Delete,
    }

    private sealed record ShadowRequest(ShadowOperation Operation, string ThingName, byte[] Payload);
}
