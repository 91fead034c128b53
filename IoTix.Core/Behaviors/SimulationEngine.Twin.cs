using System.Text.Json;
using IoTix.Core.Behaviors;
using IoTix.Core.Generators;
using IoTix.Core.Models;
using IoTix.Core.Protocols;

namespace IoTix.Core.Devices;

/// <summary>Where a request's answer goes: its MQTT 5 Response Topic and Correlation Data (copied off the wire).</summary>
internal sealed record CommandReply(string Topic, byte[] CorrelationData);

// The digital twin side of a simulated device: answering direct methods (a command's `response`) and keeping a
// shadow (the model's `shadow`): desired values applied to state and telemetry, reported back. Runs on the loop.
public sealed partial class SimulationEngine
{
    /// <summary>Publishes a command's answer to the request's Response Topic with its Correlation Data.</summary>
    private void Respond(SimulatedDevice d, CompiledResponse response, CommandReply reply, long now)
    {
        _payload.ResetWrittenCount();
        if (response.Payload is not null)
        {
            _alertWriter.Reset(_payload);
            response.Payload.Write(_alertWriter, d);
            _alertWriter.Flush();
        }

        PublishStatus status;
        try
        {
            // A device stays inside its namespace: a Response Topic outside it is put inside (see DeviceNamespace).
            status = d.Connection.TryPublishResponse(DeviceNamespace.Confine(d.Namespace, reply.Topic), _payload.WrittenSpan, reply.CorrelationData, response.Status, qos: 1);
        }
        catch (Exception ex)
        {
            LogPublishFailed(_logger, d.Id, ex);
            status = PublishStatus.Rejected;
        }

        CountSend(d, status, _payload.WrittenCount, now);
    }

    /// <summary>
    /// Applies a shadow delta (or the delta of a whole document) to the device's state variables and telemetry items
    /// of the same names, reports the applied values on <c>{prefix}/update</c>, then runs the behaviours the changed
    /// state variables trigger. Fields the device does not have, or of an incompatible type, stay in the delta.
    /// </summary>
    private void ApplyShadow(SimulatedDevice d, string kind, byte[]? payload, long now)
    {
        if (payload is not { Length: > 0 } || d.Runtime.Model.Shadow is not { Enabled: true } settings)
        {
            return;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(payload);
        }
        catch (JsonException)
        {
            LogShadowIgnored(_logger, d.Id, kind, "not JSON");
            return;
        }

        using (document)
        {
            var root = document.RootElement;
            JsonElement state = default;
            bool found = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("state", out state)
                && (kind == ShadowCommands.Delta || (state.ValueKind == JsonValueKind.Object && state.TryGetProperty("delta", out state)));
            if (!found || state.ValueKind != JsonValueKind.Object)
            {
                return; // a document without a delta: nothing to apply
            }

            var symbols = d.Runtime.Symbols;
            List<int>? changed = null;
            int applied = 0;
            var w = BeginReported();
            foreach (var field in state.EnumerateObject())
            {
                int s = symbols.StateIndex(field.Name);
                if (s >= 0)
                {
                    ref var slot = ref d.X.StateValues[s];
                    if (TryConvert(field.Value, slot, out var value))
                    {
                        if (!slot.HasValue || !SameValue(value, slot))
                        {
                            (changed ??= []).Add(s);
                        }

                        slot = value;
                        w.WritePropertyName(field.Name);
                        PlaceholderResolver.WriteValue(w, in slot);
                        applied++;
                    }

                    continue;
                }

                int t = symbols.TelemetryIndex(field.Name);
                if (t >= 0 && TryConvert(field.Value, d.Values[t], out var telemetry))
                {
                    d.Values[t] = telemetry;
                    w.WritePropertyName(field.Name);
                    PlaceholderResolver.WriteValue(w, in d.Values[t]);
                    applied++;
                }
            }

            EndReported(w);
            LogShadowApplied(_logger, d.Id, applied);
            if (applied > 0)
            {
                Send(d, ShadowPrefix(d, settings) + "/update", _payload.WrittenSpan, 1, false, now);
            }

            if (changed is not null)
            {
                PrepareBehaviorClock(d, now);
                foreach (int s in changed)
                {
                    OnVariableChanged(d, s, now, 0);
                    if (d.Deleted || d.State != DeviceState.Running)
                    {
                        return;
                    }
                }

                EvaluateConditions(d, now, 1);
            }
        }
    }

    /// <summary>On (re)connect: reports every state variable, then asks for the document so desired changes made while offline apply.</summary>
    private void SyncShadowOnConnect(SimulatedDevice d, long now)
    {
        if (d.Runtime.Model.Shadow is not { Enabled: true, SyncOnConnect: true } settings || d.State != DeviceState.Running)
        {
            return;
        }

        var prefix = ShadowPrefix(d, settings);
        var names = d.Runtime.Symbols.StateNames;
        if (names.Count > 0)
        {
            var w = BeginReported();
            var values = d.X.StateValues;
            for (int i = 0; i < names.Count; i++)
            {
                w.WritePropertyName(names[i]);
                PlaceholderResolver.WriteValue(w, in values[i]);
            }

            EndReported(w);
            Send(d, prefix + "/update", _payload.WrittenSpan, 1, false, now);
        }

        Send(d, prefix + "/get", "{}"u8, 1, false, now);
    }

    /// <summary>Starts <c>{"state": {"reported": {</c> in the engine's reused payload buffer.</summary>
    private System.Text.Json.Utf8JsonWriter BeginReported()
    {
        _payload.ResetWrittenCount();
        var w = _alertWriter;
        w.Reset(_payload);
        w.WriteStartObject();
        w.WriteStartObject("state");
        w.WriteStartObject("reported");
        return w;
    }

    private static void EndReported(System.Text.Json.Utf8JsonWriter w)
    {
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
        w.Flush();
    }

    private static string ShadowPrefix(SimulatedDevice d, ShadowSettings settings) =>
        d.X.ShadowPrefix ??= DeviceNamespace.Key(d.Namespace, ModelTemplate.Parse(settings.TopicPrefix).RenderForDevice(d.LocalId, d.Index, d.Group?.LocalGroupId));

    /// <summary>A desired JSON value as the slot's type: numbers into number/integer slots, booleans, strings; false when incompatible.</summary>
    private static bool TryConvert(JsonElement json, in TelemetryValue slot, out TelemetryValue value)
    {
        value = ModelSymbols.ToValue(json);
        if (!value.HasValue || json.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
        {
            return false;
        }

        if (!slot.HasValue)
        {
            return true;
        }

        switch (slot.Type)
        {
            case TelemetryDataType.Number or TelemetryDataType.Integer when value.Type == TelemetryDataType.Number:
                if (slot.Type == TelemetryDataType.Integer)
                {
                    value.Number = Math.Round(value.Number);
                }

                value.Type = slot.Type;
                return true;
            case TelemetryDataType.Boolean:
                return value.Type == TelemetryDataType.Boolean;
            case TelemetryDataType.String:
                return value.Type == TelemetryDataType.String;
            default:
                return false;
        }
    }
}
