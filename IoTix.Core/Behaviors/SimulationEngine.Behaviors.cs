using System.Text.Json;
using IoTix.Core.Behaviors;
using IoTix.Core.Generators;
using IoTix.Core.Models;
using IoTix.Core.Protocols;
using IoTix.Core.Scheduling;

namespace IoTix.Core.Devices;

// The behaviour engine: triggers (condition, time, command, state), actions and failure modes,
// run on the scheduler's loop for one device at a time.
public sealed partial class SimulationEngine
{
    /// <summary>Actions that change values or state may fire further behaviours; this bounds the chain.</summary>
    private const int MaxBehaviorDepth = 8;

    private static void PrepareBehaviorClock(SimulatedDevice d, long now) => d.X.NowMs = now;

    /// <summary>Edge-triggered conditions: a behaviour fires when its condition becomes true (and its cooldown has passed).</summary>
    private void EvaluateConditions(SimulatedDevice d, long now, int depth)
    {
        var set = d.Runtime.Behaviors;
        var states = d.Extras?.ConditionState;
        if (states is null || set.ConditionBehaviors.Length == 0 || depth > MaxBehaviorDepth)
        {
            return;
        }

        foreach (int index in set.ConditionBehaviors)
        {
            var behavior = set.Behaviors[index];
            bool value = behavior.Condition!.Evaluate(d.Values, d.StateValues);
            bool was = states[index];
            states[index] = value;
            if (value && !was)
            {
                TryFire(d, behavior, now, depth);
            }

            if (d.Deleted || d.State != DeviceState.Running)
            {
                return;
            }
        }
    }

    private bool TryFire(SimulatedDevice d, CompiledBehavior behavior, long now, int depth)
    {
        var last = d.X.LastFiredMs!;
        if (behavior.CooldownMs > 0 && last[behavior.Index] != long.MinValue && now - last[behavior.Index] < behavior.CooldownMs)
        {
            return false;
        }

        last[behavior.Index] = now;
        LogBehaviorFired(_logger, d.Id, behavior.Name);
        ExecuteAction(d, behavior, now, depth);
        return true;
    }

    /// <summary>
    /// Schedules the time triggers when a device enters running. After a reconnect, <c>afterMs</c>
    /// triggers that already fired stay fired (once per start), the others resume.
    /// </summary>
    private void ArmTimeBehaviors(SimulatedDevice d, long now, bool reconnect)
    {
        var set = d.Runtime.Behaviors;
        foreach (int index in set.TimeBehaviors)
        {
            var b = set.Behaviors[index];
            long due;
            if (b.Cron is not null)
            {
                due = NextCron(b, now);
            }
            else if (b.AfterMs >= 0 && !(reconnect && d.X.LastFiredMs![index] != long.MinValue))
            {
                due = Math.Max(now, d.StartedAtMs + b.AfterMs);
            }
            else if (b.EveryMs > 0)
            {
                due = now + b.EveryMs;
            }
            else
            {
                continue;
            }

            if (due >= 0)
            {
                _scheduler.Schedule(due, d.Slot, d.Epoch, WorkKind.BehaviorTimer, index);
            }
        }
    }

    private long NextCron(CompiledBehavior b, long now)
    {
        var from = _scheduler.ToUtc(now).UtcDateTime;
        var next = b.Cron!.GetNextOccurrence(from, TimeZoneInfo.Utc, inclusive: false);
        return next is { } n ? (long)Math.Ceiling((new DateTimeOffset(n, TimeSpan.Zero) - _scheduler.OriginUtc).TotalMilliseconds) : -1;
    }

    private void FireTimeBehavior(SimulatedDevice d, int index, long due)
    {
        if (d.State != DeviceState.Running)
        {
            return;
        }

        var b = d.Runtime.Behaviors.Behaviors[index];
        int epoch = d.Epoch;
        PrepareBehaviorClock(d, due);
        TryFire(d, b, due, depth: 0);
        if (d.Epoch != epoch || d.Deleted)
        {
            return;
        }

        long next = b.Cron is not null ? NextCron(b, due) : b.EveryMs > 0 ? due + b.EveryMs : -1;
        if (next >= 0)
        {
            _scheduler.Schedule(next, d.Slot, d.Epoch, WorkKind.BehaviorTimer, index);
        }
    }

    private void OnCommand(SimulatedDevice d, string name, byte[]? payload, CommandReply? reply, long now)
    {
        if (d.State == DeviceState.Running && name is ShadowCommands.Delta or ShadowCommands.Document)
        {
            ApplyShadow(d, name, payload, now);
            return;
        }

        var set = d.Runtime.Behaviors;
        CompiledResponse? response = null;
        if (d.State != DeviceState.Running || (!set.CommandBehaviors.TryGetValue(name, out var indexes) & !(reply is not null && set.Responses.TryGetValue(name, out response))))
        {
            LogCommandIgnored(_logger, d.Id, name, d.State);
            return;
        }

        JsonDocument? document = null;
        try
        {
            if (payload is { Length: > 0 })
            {
                try
                {
                    document = JsonDocument.Parse(payload);
                }
                catch (JsonException)
                {
                    document = null; // not JSON: the command fires without parameters
                }
            }

            d.X.Parameters = document?.RootElement;
            PrepareBehaviorClock(d, now);
            if (indexes is not null)
            {
                foreach (int index in indexes)
                {
                    TryFire(d, set.Behaviors[index], now, depth: 0);
                }
            }

            if (response is not null && d.State == DeviceState.Running)
            {
                // After the behaviours: the answer shows the state they left (a method that moves a valve reports the new position).
                Respond(d, response, reply!, now);
            }
        }
        finally
        {
            d.X.Parameters = null;
            document?.Dispose();
        }
    }

    private void OnLifecycleState(SimulatedDevice d, DeviceState state, long now)
    {
        var set = d.Runtime.Behaviors;
        if (set.LifecycleBehaviors.Length == 0)
        {
            return;
        }

        foreach (int index in set.LifecycleBehaviors)
        {
            var b = set.Behaviors[index];
            if (b.LifecycleState == state)
            {
                PrepareBehaviorClock(d, now);
                TryFire(d, b, now, depth: 1);
            }
        }
    }

    private void OnVariableChanged(SimulatedDevice d, int slot, long now, int depth)
    {
        var set = d.Runtime.Behaviors;
        foreach (int index in set.VariableBehaviors)
        {
            var b = set.Behaviors[index];
            if (b.StateSlot == slot && (b.StateValue is not { } expected || SameValue(expected, d.StateValues[slot])))
            {
                TryFire(d, b, now, depth + 1);
            }
        }
    }

    private static bool SameValue(in TelemetryValue a, in TelemetryValue b)
    {
        if (a.Type == TelemetryDataType.String || b.Type == TelemetryDataType.String)
        {
            return a.Type == b.Type && string.Equals(a.Text, b.Text, StringComparison.Ordinal);
        }

        return a.AsDouble() == b.AsDouble();
    }

    private void ExecuteAction(SimulatedDevice d, CompiledBehavior behavior, long now, int depth)
    {
        var a = behavior.Action;
        long until = a.DurationMs >= 0 ? now + a.DurationMs : long.MaxValue;
        switch (a.Kind)
        {
            case ActionKind.Publish:
                PublishAlert(d, behavior, a, now);
                break;
            case ActionKind.Set:
                d.Values[a.TargetSlot] = ResolveValue(d, a.Value!, d.Values[a.TargetSlot].Type);
                EvaluateConditions(d, now, depth + 1);
                break;
            case ActionKind.SetState:
                var type = d.StateValues[a.TargetSlot].Type;
                var value = ResolveValue(d, a.Value!, type);
                bool changed = !SameValue(value, d.StateValues[a.TargetSlot]) || !d.StateValues[a.TargetSlot].HasValue;
                d.StateValues[a.TargetSlot] = value;
                if (changed)
                {
                    OnVariableChanged(d, a.TargetSlot, now, depth);
                    EvaluateConditions(d, now, depth + 1);
                }

                break;
            case ActionKind.Disconnect:
                Drop(d, now, a.DurationMs, $"behaviour {behavior.Name}: disconnect");
                break;
            case ActionKind.Fail:
                Fail(d, now, a.DurationMs, $"behaviour {behavior.Name}: fail");
                break;
            case ActionKind.Recover:
                Recover(d, now);
                break;
            case ActionKind.Stuck:
                Effect(d, a.TargetSlot).StuckUntil = until;
                break;
            case ActionKind.Spike:
                ref var spike = ref Effect(d, a.TargetSlot);
                spike.SpikeUntil = until;
                spike.SpikeMagnitude = a.Magnitude;
                spike.SpikeProbability = a.Probability;
                break;
            case ActionKind.Drift:
                ref var drift = ref Effect(d, a.TargetSlot);
                drift.DriftUntil = until;
                drift.DriftFrom = now;
                drift.DriftPerSecond = a.Magnitude;
                break;
            case ActionKind.BatteryDrain:
                ref var drain = ref Effect(d, a.TargetSlot);
                drain.DrainUntil = until;
                drain.DrainFrom = now;
                drain.DrainStart = d.Values[a.TargetSlot].HasValue ? d.Values[a.TargetSlot].Number : 100;
                drain.DrainPerMinute = a.Magnitude;
                break;
            case ActionKind.Silence:
                d.X.SilenceUntilMs = until;
                break;
            case ActionKind.Flap:
                var flap = d.X;
                flap.FlapUntilMs = until;
                flap.FlapProbability = a.Probability;
                flap.FlapOutageMs = (long)a.Magnitude;
                flap.EffectEpoch++;
                _scheduler.Schedule(now + FlapCheckMs, d.Slot, flap.EffectEpoch, WorkKind.Effect);
                break;
        }
    }

    private static ref ItemEffect Effect(SimulatedDevice d, int item)
    {
        var x = d.X;
        x.Effects ??= new ItemEffect[d.Values.Length];
        return ref x.Effects[item];
    }

    /// <summary>Clears every failure effect; a failed or dropped device reconnects.</summary>
    private void Recover(SimulatedDevice d, long now)
    {
        if (d.Extras is { } x)
        {
            if (x.Effects is not null)
            {
                Array.Clear(x.Effects);
            }

            x.SilenceUntilMs = 0;
            x.FlapUntilMs = 0;
            x.EffectEpoch++;
        }
        if (d.State is DeviceState.Failed or DeviceState.Dropped)
        {
            BeginConnect(d, DeviceState.Reconnecting, now, "recover");
        }
    }

    /// <summary>Generates one value under the item's failure effects; returns true when a draining battery reached 0.</summary>
    private bool GenerateWithEffects(SimulatedDevice d, int i, long now, long sinceStart)
    {
        var x = d.Extras!;
        ref var v = ref d.Values[i];
        ref var e = ref x.Effects![i];
        bool empty = false;
        if (e.StuckUntil > now)
        {
            // Stuck sensor: the value freezes; the generator is not advanced.
        }
        else if (e.DrainUntil > now)
        {
            double level = e.DrainStart - (e.DrainPerMinute * (now - e.DrainFrom) / 60_000.0);
            v.Number = Math.Max(0, level);
            v.HasValue = true;
            empty = v.Number <= 0;
        }
        else
        {
            Generate(d, i, sinceStart);
        }

        if (e.SpikeUntil > now && x.Random.NextDouble() < e.SpikeProbability)
        {
            v.Number += e.SpikeMagnitude;
        }

        if (e.DriftUntil > now)
        {
            v.Number += e.DriftPerSecond * (now - e.DriftFrom) / 1000.0;
        }

        return empty;
    }

    private void FlapCheck(SimulatedDevice d, long due)
    {
        var x = d.X;
        if (x.FlapUntilMs <= due || d.Deleted)
        {
            return;
        }

        if (d.State == DeviceState.Running && x.Random.NextDouble() < x.FlapProbability)
        {
            Drop(d, due, x.FlapOutageMs, "flap");
        }

        _scheduler.Schedule(due + FlapCheckMs, d.Slot, x.EffectEpoch, WorkKind.Effect);
    }

    private TelemetryValue ResolveValue(SimulatedDevice d, ValueTemplate template, Models.TelemetryDataType targetType)
    {
        TelemetryValue value;
        if (template.Placeholder is { } p)
        {
            value = PlaceholderResolver.ReadValue(in p, d);
        }
        else if (template.Text is { } text)
        {
            value = new TelemetryValue { Type = TelemetryDataType.String, Text = TemplateText.Render(text, template.TextPlaceholders!, d), HasValue = true };
        }
        else
        {
            value = template.Literal;
        }

        // Keep the slot's declared type when the new value is compatible (a number into an integer item).
        if (value.Type is TelemetryDataType.Number or TelemetryDataType.Integer && targetType is TelemetryDataType.Number or TelemetryDataType.Integer)
        {
            value.Type = targetType;
        }

        return value;
    }

    private void PublishAlert(SimulatedDevice d, CompiledBehavior behavior, CompiledAction a, long now)
    {
        string topic;
        if (a.TopicIsDeviceConstant)
        {
            var x = d.X;
            x.BehaviorTopics ??= new string?[d.Runtime.Behaviors.Behaviors.Length];
            topic = x.BehaviorTopics[behavior.Index] ??= DeviceNamespace.Key(d.Namespace, TemplateText.Render(a.Topic!, a.TopicPlaceholders!, d));
        }
        else
        {
            topic = DeviceNamespace.Key(d.Namespace, TemplateText.Render(a.Topic!, a.TopicPlaceholders!, d));
        }

        _payload.ResetWrittenCount();
        if (a.Payload is not null)
        {
            _alertWriter.Reset(_payload);
            a.Payload.Write(_alertWriter, d);
            _alertWriter.Flush();
        }

        Send(d, topic, _payload.WrittenSpan, a.Qos, a.Retain, now);
    }
}
