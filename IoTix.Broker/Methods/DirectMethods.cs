using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using IoTix.Broker.Devices;
using IoTix.Broker.Sessions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace IoTix.Broker.Methods;

/// <summary>
/// Pending calls keyed by their correlation data; the broker's publish hook hands answers on method response
/// topics to <see cref="TryComplete"/>. A request carries a Message Expiry Interval equal to its timeout, so a device
/// that connects later never receives a call nobody waits for any more [MQTT-3.3.2-5].
/// </summary>
internal sealed partial class DirectMethods(
    ConnectedClients connected,
    MessageExpiry messageExpiry,
    TimeProvider timeProvider,
    IOptions<DeviceServicesOptions> options,
    ILogger<DirectMethods> logger) : IDirectMethods
{
    /// <summary>The user property a device answers its status in.</summary>
    public const string StatusProperty = "status";

    private readonly ConcurrentDictionary<string, Pending> _pending = new(StringComparer.Ordinal);
    private readonly DeviceServicesOptions _options = options.Value;

    public MqttServer? Server { get; set; }

    public int PendingCount => _pending.Count;

    public async Task<DirectMethodResult> InvokeAsync(DirectMethodRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var started = timeProvider.GetTimestamp();
        if (!DeviceTopics.IsValidKey(request.ThingName) || !DeviceTopics.IsValidName(request.Method))
        {
            return Fail(DirectMethodOutcome.InvalidRequest, "thing and method names are 1..128 characters without '/', '+', '#' (a tenant's thing: tenants/{tenant}/{thing})");
        }

        var timeout = request.Timeout ?? TimeSpan.FromSeconds(_options.MethodTimeoutSeconds);
        if (timeout <= TimeSpan.Zero || timeout > TimeSpan.FromSeconds(_options.MaxMethodTimeoutSeconds))
        {
            return Fail(DirectMethodOutcome.InvalidRequest, $"the timeout must be more than 0 and at most {_options.MaxMethodTimeoutSeconds} s (Broker:Devices:MaxMethodTimeoutSeconds)");
        }

        if (Server is not { IsStarted: true } server)
        {
            return Fail(DirectMethodOutcome.NotRunning, "the broker is not running");
        }

        if (!connected.IsConnected(request.ClientId))
        {
            return Fail(DirectMethodOutcome.Offline, $"client '{request.ClientId}' of thing '{request.ThingName}' is not connected");
        }

        if (_pending.Count >= _options.MaxPendingMethods)
        {
            return Fail(DirectMethodOutcome.Busy, $"{_options.MaxPendingMethods} method calls are already waiting (Broker:Devices:MaxPendingMethods)");
        }

        var correlation = RandomNumberGenerator.GetBytes(16);
        var key = Convert.ToHexString(correlation);
        var pending = new Pending(request.ThingName, request.Method);
        _pending[key] = pending;
        try
        {
            var message = new MqttApplicationMessageBuilder()
                .WithTopic(DeviceTopics.MethodRequest(request.ThingName, request.Method))
                .WithPayload(request.Payload.ToArray())
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .WithResponseTopic(DeviceTopics.MethodResponse(request.ThingName, request.Method))
                .WithCorrelationData(correlation)
                .WithContentType("application/json")
                .WithMessageExpiryInterval((uint)Math.Ceiling(timeout.TotalSeconds))
                .Build();
            messageExpiry.Stamp(message);
            LogInvoking(logger, request.Method, request.ThingName, key);
            await server.InjectApplicationMessage(new InjectedMqttApplicationMessage(message) { SenderClientId = Shadows.ShadowService.SenderClientId }, cancellationToken).ConfigureAwait(false);
            try
            {
                var answer = await pending.Answer.Task.WaitAsync(timeout, timeProvider, cancellationToken).ConfigureAwait(false);
                return answer with { Elapsed = timeProvider.GetElapsedTime(started) };
            }
            catch (TimeoutException)
            {
                LogTimedOut(logger, request.Method, request.ThingName, timeout.TotalSeconds);
                return Fail(DirectMethodOutcome.TimedOut, $"thing '{request.ThingName}' did not answer method '{request.Method}' within {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s", timeProvider.GetElapsedTime(started));
            }
        }
        finally
        {
            _pending.TryRemove(key, out _);
        }
    }

    /// <summary>An answer on a method response topic: completes the call with the same correlation data. False when none waits.</summary>
    public bool TryComplete(MqttApplicationMessage message)
    {
        if (message.CorrelationData is not { Length: > 0 } correlation || !_pending.TryRemove(Convert.ToHexString(correlation), out var pending))
        {
            return false;
        }

        int status = 200;
        if (message.UserProperties is { } properties)
        {
            foreach (var property in properties)
            {
                if (string.Equals(property.Name, StatusProperty, StringComparison.OrdinalIgnoreCase)
                    && int.TryParse(property.ReadValueAsString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed))
                {
                    status = parsed;
                }
            }
        }

        var payload = message.Payload.IsEmpty ? [] : message.Payload.ToArray();
        pending.Answer.TrySetResult(new DirectMethodResult(DirectMethodOutcome.Completed, status, payload, message.ContentType, TimeSpan.Zero, $"thing '{pending.ThingName}' answered method '{pending.Method}' with status {status}"));
        return true;
    }

    private static DirectMethodResult Fail(DirectMethodOutcome outcome, string message, TimeSpan elapsed = default) =>
        new(outcome, 0, [], null, elapsed, message);

    private sealed class Pending(string thingName, string method)
    {
        public string ThingName { get; } = thingName;

        public string Method { get; } = method;

        public TaskCompletionSource<DirectMethodResult> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
