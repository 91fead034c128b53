using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using IoTix.Broker.Devices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace IoTix.Broker.Shadows;

/// <summary>
/// The shadows: a cache of loaded shadows, one async lock per thing (API and MQTT requests of a thing are applied
/// one at a time), write-through to the <see cref="IShadowStore"/> and the answers published through the running
/// server. A store outage keeps serving from memory (warned once per outage).
/// </summary>
internal sealed partial class ShadowService : IShadowService
{
    internal const string SenderClientId = "$iotix";

    private readonly ConcurrentDictionary<string, Slot> _slots = new(StringComparer.Ordinal);
    private readonly IShadowStore? _store;
    private readonly TimeProvider _timeProvider;
    private readonly DeviceServicesOptions _options;
    private readonly ILogger<ShadowService> _logger;
    private int _storeDown;

    public ShadowService(TimeProvider timeProvider, IOptions<DeviceServicesOptions> options, ILogger<ShadowService> logger, IShadowStore? store = null)
    {
        _store = store;
        _timeProvider = timeProvider;
        _options = options.Value;
        _logger = logger;
    }

    public event Action<string>? Changed;

    /// <summary>The running server answers are published through (null while the broker is not running: nothing is published).</summary>
    public MqttServer? Server { get; set; }

    public async Task<ShadowDocument?> GetAsync(string thingName, CancellationToken cancellationToken = default)
    {
        var slot = _slots.GetOrAdd(thingName, static _ => new Slot());
        await slot.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var state = await LoadLockedAsync(thingName, slot, cancellationToken).ConfigureAwait(false);
            return state?.ToDocument(thingName);
        }
        finally
        {
            slot.Lock.Release();
        }
    }

    public async Task<ShadowResult> UpdateAsync(string thingName, ShadowUpdate update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        if (!DeviceTopics.IsValidKey(thingName))
        {
            return ShadowResult.Fail(ShadowError.BadRequest, $"'{thingName}' is not a valid thing name (1..128 characters without '/', '+', '#'; a tenant's thing: tenants/{{tenant}}/{{thing}})");
        }

        var slot = _slots.GetOrAdd(thingName, static _ => new Slot());
        Outputs outputs;
        ShadowDocument document;
        await slot.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var current = await LoadLockedAsync(thingName, slot, cancellationToken).ConfigureAwait(false);
            long currentVersion = current?.Version ?? 0;
            if (update.ExpectedVersion is { } expected && expected != currentVersion)
            {
                return ShadowResult.Fail(ShadowError.VersionConflict, current is null
                    ? $"Version conflict: the shadow of '{thingName}' does not exist (version 0), the request names version {expected}"
                    : $"Version conflict: the shadow of '{thingName}' is at version {currentVersion}, the request names version {expected}; read it again and retry");
            }

            var next = current?.Clone() ?? new ShadowState();
            var now = _timeProvider.GetUtcNow();
            next.Apply(update, now);
            if (next.Depth() > _options.MaxShadowDepth)
            {
                return ShadowResult.Fail(ShadowError.BadRequest, $"the state is nested deeper than {_options.MaxShadowDepth} levels (Broker:Devices:MaxShadowDepth)");
            }

            int bytes = next.StateBytes();
            if (bytes > _options.MaxShadowBytes)
            {
                return ShadowResult.Fail(ShadowError.PayloadTooLarge, $"the state would be {bytes} bytes, more than {_options.MaxShadowBytes} (Broker:Devices:MaxShadowBytes)");
            }

            await SaveAsync(new StoredShadow(thingName, next.Version, now, next.ToStoredJson()), cancellationToken).ConfigureAwait(false);
            slot.State = next;
            slot.Loaded = true;
            document = next.ToDocument(thingName);
            outputs = Server is null ? default : BuildOutputs(thingName, update, current, next, now);
        }
        finally
        {
            slot.Lock.Release();
        }

        await PublishAsync(outputs).ConfigureAwait(false);
        RaiseChanged(thingName);
        return ShadowResult.Ok(document);
    }

    public async Task<ShadowResult> DeleteAsync(string thingName, long? expectedVersion = null, CancellationToken cancellationToken = default)
    {
        var slot = _slots.GetOrAdd(thingName, static _ => new Slot());
        ShadowDocument document;
        await slot.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var current = await LoadLockedAsync(thingName, slot, cancellationToken).ConfigureAwait(false);
            if (current is null)
            {
                return ShadowResult.Fail(ShadowError.NotFound, $"No shadow exists with name: '{thingName}'");
            }

            if (expectedVersion is { } expected && expected != current.Version)
            {
                return ShadowResult.Fail(ShadowError.VersionConflict, $"Version conflict: the shadow of '{thingName}' is at version {current.Version}, the request names version {expected}");
            }

            if (_store is not null && !await _store.DeleteAsync(thingName, cancellationToken).ConfigureAwait(false))
            {
                StoreUnavailable(thingName);
            }

            document = current.ToDocument(thingName);
            slot.State = null;
            slot.Loaded = true;
        }
        finally
        {
            slot.Lock.Release();
        }

        RaiseChanged(thingName);
        return ShadowResult.Ok(document);
    }

    /// <summary>The current delta message of a thing, or null when desired equals reported (or there is no shadow).</summary>
    internal async Task<MqttApplicationMessage?> DeltaMessageAsync(string thingName, CancellationToken cancellationToken = default)
    {
        var slot = _slots.GetOrAdd(thingName, static _ => new Slot());
        await slot.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var state = await LoadLockedAsync(thingName, slot, cancellationToken).ConfigureAwait(false);
            if (state is null)
            {
                return null;
            }

            var delta = state.Delta();
            return delta.Count == 0 ? null : Message(DeviceTopics.ShadowDelta(thingName), DeltaPayload(state, delta, state.UpdatedAt, clientToken: null));
        }
        finally
        {
            slot.Lock.Release();
        }
    }

    /// <summary>Publishes an answer (accepted/rejected) through the running server.</summary>
    internal async Task PublishAsync(string topic, string payload)
    {
        if (Server is { IsStarted: true } server)
        {
            await server.InjectApplicationMessage(new InjectedMqttApplicationMessage(Message(topic, payload)) { SenderClientId = SenderClientId }).ConfigureAwait(false);
        }
    }

    /// <summary>The payload of a <c>/rejected</c> answer.</summary>
    internal string RejectedPayload(ShadowError error, string message, string? clientToken)
    {
        var body = new JsonObject { ["code"] = (int)error, ["message"] = message, ["timestamp"] = _timeProvider.GetUtcNow().ToUnixTimeSeconds() };
        if (clientToken is not null)
        {
            body["clientToken"] = clientToken;
        }

        return body.ToJsonString();
    }

    internal static MqttApplicationMessage Message(string topic, string payload) => new MqttApplicationMessageBuilder()
        .WithTopic(topic)
        .WithPayload(Encoding.UTF8.GetBytes(payload))
        .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
        .WithContentType("application/json")
        .WithPayloadFormatIndicator(MqttPayloadFormatIndicator.CharacterData)
        .Build();

    private async Task<ShadowState?> LoadLockedAsync(string thingName, Slot slot, CancellationToken cancellationToken)
    {
        if (slot.Loaded || _store is null)
        {
            return slot.State;
        }

        var (status, stored) = await _store.LoadAsync(thingName, cancellationToken).ConfigureAwait(false);
        switch (status)
        {
            case ShadowLoadStatus.Found:
                slot.State = ShadowState.FromStored(stored!);
                slot.Loaded = true;
                break;
            case ShadowLoadStatus.NotFound:
                slot.Loaded = true;
                break;
            default:
                // Not cached and the store is down: treated as absent for now, loaded again on the next request.
                StoreUnavailable(thingName);
                break;
        }

        return slot.State;
    }

    private async Task SaveAsync(StoredShadow shadow, CancellationToken cancellationToken)
    {
        if (_store is null)
        {
            return;
        }

        if (await _store.SaveAsync(shadow, cancellationToken).ConfigureAwait(false))
        {
            if (Interlocked.Exchange(ref _storeDown, 0) == 1)
            {
                LogStoreBack(_logger);
            }
        }
        else
        {
            StoreUnavailable(shadow.ThingName);
        }
    }

    private void StoreUnavailable(string thingName)
    {
        if (Interlocked.Exchange(ref _storeDown, 1) == 0)
        {
            LogStoreUnavailable(_logger, thingName);
        }
    }

    private void RaiseChanged(string thingName)
    {
        try
        {
            Changed?.Invoke(thingName);
        }
        catch (Exception exception)
        {
            LogChangedHandlerFailed(_logger, exception, thingName);
        }
    }

    private Outputs BuildOutputs(string thingName, ShadowUpdate update, ShadowState? previous, ShadowState next, DateTimeOffset now)
    {
        long ts = now.ToUnixTimeSeconds();
        var state = new JsonObject();
        var metadata = new JsonObject();
        if (update.TouchesDesired)
        {
            state["desired"] = update.Desired?.DeepClone();
            metadata["desired"] = update.Desired is { } d ? StampLeaves(d, ts) : null;
        }

        if (update.Reported is not null || update.ClearReported)
        {
            state["reported"] = update.Reported?.DeepClone();
            metadata["reported"] = update.Reported is { } r ? StampLeaves(r, ts) : null;
        }

        var accepted = new JsonObject { ["state"] = state, ["metadata"] = metadata, ["version"] = next.Version, ["timestamp"] = ts };
        if (update.ClientToken is not null)
        {
            accepted["clientToken"] = update.ClientToken;
        }

        string? deltaPayload = null;
        if (update.TouchesDesired)
        {
            var delta = next.Delta();
            if (delta.Count > 0)
            {
                deltaPayload = DeltaPayload(next, delta, now, update.ClientToken);
            }
        }

        var documents = new JsonObject
        {
            ["previous"] = previous is null ? null : Snapshot(previous),
            ["current"] = Snapshot(next),
            ["timestamp"] = ts,
        };
        if (update.ClientToken is not null)
        {
            documents["clientToken"] = update.ClientToken;
        }

        var root = DeviceTopics.ShadowUpdate(thingName);
        return new Outputs(
            Message(root + "/accepted", accepted.ToJsonString()),
            deltaPayload is null ? null : Message(root + "/delta", deltaPayload),
            Message(root + "/documents", documents.ToJsonString()));
    }

    private static string DeltaPayload(ShadowState state, JsonObject delta, DateTimeOffset at, string? clientToken)
    {
        var body = new JsonObject
        {
            ["state"] = delta,
            ["metadata"] = state.DeltaMetadata(delta),
            ["version"] = state.Version,
            ["timestamp"] = at.ToUnixTimeSeconds(),
        };
        if (clientToken is not null)
        {
            body["clientToken"] = clientToken;
        }

        return body.ToJsonString();
    }

    private static JsonObject Snapshot(ShadowState state) => new()
    {
        ["state"] = new JsonObject { ["desired"] = state.Desired.DeepClone(), ["reported"] = state.Reported.DeepClone() },
        ["metadata"] = new JsonObject { ["desired"] = state.DesiredMetadata.DeepClone(), ["reported"] = state.ReportedMetadata.DeepClone() },
        ["version"] = state.Version,
    };

    private static JsonObject StampLeaves(JsonObject patch, long ts)
    {
        var result = new JsonObject();
        foreach (var (name, value) in patch)
        {
            result[name] = value is JsonObject nested ? StampLeaves(nested, ts) : new JsonObject { ["timestamp"] = ts };
        }

        return result;
    }

    private async Task PublishAsync(Outputs outputs)
    {
        if (outputs.Accepted is null || Server is not { IsStarted: true } server)
        {
            return;
        }

        try
        {
            // The delta first: SC-008 measures update to delta.
            if (outputs.Delta is { } delta)
            {
                await server.InjectApplicationMessage(new InjectedMqttApplicationMessage(delta) { SenderClientId = SenderClientId }).ConfigureAwait(false);
            }

            await server.InjectApplicationMessage(new InjectedMqttApplicationMessage(outputs.Accepted) { SenderClientId = SenderClientId }).ConfigureAwait(false);
            await server.InjectApplicationMessage(new InjectedMqttApplicationMessage(outputs.Documents!) { SenderClientId = SenderClientId }).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is InvalidOperationException or ObjectDisposedException)
        {
            LogPublishFailed(_logger, exception, outputs.Accepted.Topic);
        }
    }

    private readonly record struct Outputs(MqttApplicationMessage? Accepted, MqttApplicationMessage? Delta, MqttApplicationMessage? Documents);

    private sealed class Slot
    {
        public readonly SemaphoreSlim Lock = new(1, 1);
        public ShadowState? State;
        public bool Loaded;
    }
}
