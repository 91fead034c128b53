using System.Text.Json;
using Cronos;
using IoTix.Core.Devices;
using IoTix.Core.Models;

namespace IoTix.Core.Behaviors;

internal enum TriggerKind : byte { Condition, Time, Command, State }

internal enum ActionKind : byte
{
    Publish,
    Set,
    SetState,
    Disconnect,
    Fail,
    Recover,
    Stuck,
    Spike,
    Drift,
    BatteryDrain,
    Silence,
    Flap,
}

/// <summary>A value for <c>set</c>/<c>setState</c>: a literal or one placeholder.</summary>
internal sealed class ValueTemplate
{
    public Generators.TelemetryValue Literal;
    public Placeholder? Placeholder;
    public ModelTemplate? Text;
    public Placeholder[]? TextPlaceholders;
}

internal sealed class CompiledAction
{
    public ActionKind Kind;
    public ModelTemplate? Topic;
    public Placeholder[]? TopicPlaceholders;

    /// <summary>True when the topic only uses per-device constants (deviceId, index, groupId): rendered once per device.</summary>
    public bool TopicIsDeviceConstant;
    public PayloadTemplate? Payload;
    public int Qos;
    public bool Retain;
    public int TargetSlot = -1;
    public ValueTemplate? Value;
    public long DurationMs = -1;
    public double Magnitude;
    public double Probability = 1;
}

internal sealed class CompiledBehavior
{
    public required string Name;
    public int Index;
    public TriggerKind Trigger;
    public ConditionExpression? Condition;
    public long AfterMs = -1;
    public long EveryMs = -1;
    public CronExpression? Cron;
    public string? Command;
    public DeviceState? LifecycleState;
    public int StateSlot = -1;
    public Generators.TelemetryValue? StateValue;
    public long CooldownMs;
    public required CompiledAction Action;
}

/// <summary>A model's behaviours, compiled once: conditions parsed, templates resolved, triggers indexed.</summary>
internal sealed class BehaviorSet
{
    public static readonly BehaviorSet Empty = new([], new ModelSymbols(new DeviceModel { Id = "-", Name = "-" }));

    public BehaviorSet(CompiledBehavior[] behaviors, ModelSymbols symbols)
    {
        Behaviors = behaviors;
        Symbols = symbols;
        var conditions = new List<int>();
        var timers = new List<int>();
        var commands = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var lifecycle = new List<int>();
        var variables = new List<int>();
        foreach (var b in behaviors)
        {
            switch (b.Trigger)
            {
                case TriggerKind.Condition: conditions.Add(b.Index); break;
                case TriggerKind.Time: timers.Add(b.Index); break;
                case TriggerKind.Command:
                    if (!commands.TryGetValue(b.Command!, out var list))
                    {
                        commands[b.Command!] = list = [];
                    }

                    list.Add(b.Index);
                    break;
                default:
                    (b.LifecycleState is null ? variables : lifecycle).Add(b.Index);
                    break;
            }
        }

        ConditionBehaviors = [.. conditions];
        TimeBehaviors = [.. timers];
        LifecycleBehaviors = [.. lifecycle];
        VariableBehaviors = [.. variables];
        CommandBehaviors = commands.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal);
    }

    public CompiledBehavior[] Behaviors { get; }

    public ModelSymbols Symbols { get; }

    public int[] ConditionBehaviors { get; }

    public int[] TimeBehaviors { get; }

    public int[] LifecycleBehaviors { get; }

    public int[] VariableBehaviors { get; }

    public Dictionary<string, int[]> CommandBehaviors { get; }

    /// <summary>Answers of commands that declare a <c>response</c>, by command name.</summary>
    public Dictionary<string, CompiledResponse> Responses { get; init; } = new(StringComparer.Ordinal);
}

/// <summary>A command's compiled answer (status and payload template; null payload: empty).</summary>
internal sealed record CompiledResponse(int Status, PayloadTemplate? Payload);

/// <summary>Compiles a model's <c>behaviors</c>; reports every problem with its JSON path.</summary>
internal static class BehaviorCompiler
{
    private static readonly Dictionary<string, ActionKind> Actions = new(StringComparer.Ordinal)
    {
        ["publish"] = ActionKind.Publish,
        ["set"] = ActionKind.Set,
        ["setState"] = ActionKind.SetState,
        ["disconnect"] = ActionKind.Disconnect,
        ["fail"] = ActionKind.Fail,
        ["recover"] = ActionKind.Recover,
        ["stuck"] = ActionKind.Stuck,
        ["spike"] = ActionKind.Spike,
        ["drift"] = ActionKind.Drift,
        ["batteryDrain"] = ActionKind.BatteryDrain,
        ["silence"] = ActionKind.Silence,
        ["flap"] = ActionKind.Flap,
    };

    public static BehaviorSet Compile(DeviceModel model, List<(string Path, string Message)> errors)
    {
        var symbols = new ModelSymbols(model);
        var compiled = new List<CompiledBehavior>();
        for (int i = 0; i < model.Behaviors.Count; i++)
        {
            var b = model.Behaviors[i];
            string path = $"$.behaviors[{i}]";
            if (b is null)
            {
                errors.Add((path, "a behaviour must be an object"));
                continue;
            }

            if (b.Trigger is null)
            {
                errors.Add(($"{path}.trigger", "trigger is required"));
                continue;
            }

            if (b.Action is null)
            {
                errors.Add(($"{path}.action", "action is required"));
                continue;
            }

            if (b.CooldownMs < 0)
            {
                errors.Add(($"{path}.cooldownMs", "cooldownMs must be 0 or more"));
            }

            int before = errors.Count;
            var behavior = CompileTrigger(b, i, path, symbols, model, errors);
            var action = CompileAction(b.Action, $"{path}.action", symbols, model, behavior?.Trigger == TriggerKind.Command, errors);
            if (behavior is not null && action is not null && errors.Count == before)
            {
                behavior.Action = action;
                compiled.Add(behavior);
            }
        }

        for (int i = 0; i < compiled.Count; i++)
        {
            compiled[i].Index = i;
        }

        return new BehaviorSet([.. compiled], symbols) { Responses = CompileResponses(model, symbols, errors) };
    }

    /// <summary>The <c>response</c> of each command (MQTT 5 only: an answer needs the request's Response Topic) and the <c>shadow</c> settings.</summary>
    private static Dictionary<string, CompiledResponse> CompileResponses(DeviceModel model, ModelSymbols symbols, List<(string Path, string Message)> errors)
    {
        var responses = new Dictionary<string, CompiledResponse>(StringComparer.Ordinal);
        bool mqtt5 = model.Protocol == DeviceProtocol.Mqtt && model.Connection.MqttVersion is null or "5" or "5.0";
        for (int i = 0; i < model.Commands.Count; i++)
        {
            if (model.Commands[i] is not { Response: { } response } command)
            {
                continue;
            }

            string path = $"$.commands[{i}].response";
            if (!mqtt5)
            {
                errors.Add((path, "a response needs protocol mqtt with connection.mqttVersion 5 (it is sent to the request's MQTT 5 Response Topic)"));
                continue;
            }

            if (response.Status is < 100 or > 599)
            {
                errors.Add(($"{path}.status", $"status must be 100..599 (was {response.Status})"));
                continue;
            }

            PayloadTemplate? payload = null;
            if (response.Payload is { } template && !PayloadTemplate.TryCompile(template, symbols, allowParameters: true, $"{path}.payload", errors, out payload))
            {
                continue;
            }

            responses[command.Name] = new CompiledResponse(response.Status, payload);
        }

        if (model.Shadow is { Enabled: true } shadow)
        {
            if (model.Protocol != DeviceProtocol.Mqtt)
            {
                errors.Add(("$.shadow", "a shadow needs protocol mqtt"));
            }
            else if (!ModelTemplate.TryParse(shadow.TopicPrefix, out _, out var prefixError))
            {
                errors.Add(("$.shadow.topicPrefix", prefixError!));
            }
            else if (shadow.TopicPrefix.AsSpan().IndexOfAny('+', '#') >= 0 || shadow.TopicPrefix.EndsWith('/'))
            {
                errors.Add(("$.shadow.topicPrefix", "topicPrefix is a topic name: no '+' or '#', no trailing '/'"));
            }
        }

        return responses;
    }

    public static ActionKind? ParseActionKind(string? type) =>
        type is not null && Actions.TryGetValue(type, out var kind) ? kind : null;

    private static CompiledBehavior? CompileTrigger(BehaviorDefinition b, int index, string path, ModelSymbols symbols, DeviceModel model, List<(string, string)> errors)
    {
        var t = b.Trigger;
        string tp = $"{path}.trigger";
        var behavior = new CompiledBehavior { Name = b.Name ?? $"behavior{index}", Index = index, CooldownMs = Math.Max(0, b.CooldownMs), Action = null! };
        switch (t.Type)
        {
            case "condition":
                behavior.Trigger = TriggerKind.Condition;
                if (string.IsNullOrWhiteSpace(t.Condition))
                {
                    errors.Add(($"{tp}.condition", "condition is required for a condition trigger"));
                    return null;
                }

                if (!ConditionExpression.TryParse(t.Condition, symbols.Slot, out var expression, out var error))
                {
                    errors.Add(($"{tp}.condition", error!.Message));
                    return null;
                }

                behavior.Condition = expression;
                return behavior;
            case "time":
                behavior.Trigger = TriggerKind.Time;
                if (t.AfterMs is null && t.EveryMs is null && t.Cron is null)
                {
                    errors.Add((tp, "a time trigger needs afterMs, everyMs or cron"));
                    return null;
                }

                if (t.AfterMs is < 0)
                {
                    errors.Add(($"{tp}.afterMs", "afterMs must be 0 or more"));
                }

                if (t.EveryMs is < 1)
                {
                    errors.Add(($"{tp}.everyMs", "everyMs must be at least 1"));
                }

                if (t.Cron is not null)
                {
                    if (t.AfterMs is not null || t.EveryMs is not null)
                    {
                        errors.Add(($"{tp}.cron", "cron cannot be combined with afterMs or everyMs"));
                    }

                    if (!TryParseCron(t.Cron, out var cron, out var cronError))
                    {
                        errors.Add(($"{tp}.cron", cronError!));
                    }

                    behavior.Cron = cron;
                }

                behavior.AfterMs = t.AfterMs ?? -1;
                behavior.EveryMs = t.EveryMs ?? -1;
                return behavior;
            case "command":
                behavior.Trigger = TriggerKind.Command;
                if (string.IsNullOrWhiteSpace(t.Command))
                {
                    errors.Add(($"{tp}.command", "command is required for a command trigger"));
                    return null;
                }

                bool known = false;
                foreach (var c in model.Commands)
                {
                    known |= c.Name == t.Command;
                }

                if (!known)
                {
                    errors.Add(($"{tp}.command", $"unknown command '{t.Command}' (not in the model's commands)"));
                    return null;
                }

                behavior.Command = t.Command;
                return behavior;
            case "state":
                behavior.Trigger = TriggerKind.State;
                if (string.IsNullOrWhiteSpace(t.State))
                {
                    errors.Add(($"{tp}.state", "state is required for a state trigger"));
                    return null;
                }

                int slot = symbols.StateIndex(t.State);
                if (slot >= 0)
                {
                    behavior.StateSlot = slot;
                    if (t.StateValue is { } v)
                    {
                        behavior.StateValue = ModelSymbols.ToValue(v);
                    }

                    return behavior;
                }

                if (DeviceLifecycle.TryParseState(t.State, out var state))
                {
                    behavior.LifecycleState = state;
                    return behavior;
                }

                errors.Add(($"{tp}.state", $"unknown state '{t.State}' (not a lifecycle state {DeviceLifecycle.StateNames} nor a state variable of the model)"));
                return null;
            default:
                errors.Add(($"{tp}.type", $"unknown trigger type '{t.Type}' (allowed: condition, time, command, state)"));
                return null;
        }
    }

    internal static bool TryParseCron(string text, out CronExpression? cron, out string? error)
    {
        cron = null;
        error = null;
        int fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        if (fields is not (5 or 6))
        {
            error = $"cron must have 5 fields (minute hour day month weekday) or 6 with seconds first (has {fields})";
            return false;
        }

        try
        {
            cron = CronExpression.Parse(text, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
            return true;
        }
        catch (CronFormatException ex)
        {
            error = $"invalid cron expression '{text}': {ex.Message}";
            return false;
        }
    }

    private static CompiledAction? CompileAction(ActionDefinition a, string path, ModelSymbols symbols, DeviceModel model, bool allowParameters, List<(string, string)> errors)
    {
        if (ParseActionKind(a.Type) is not { } kind)
        {
            errors.Add(($"{path}.type", $"unknown action type '{a.Type}' (allowed: {string.Join(", ", Actions.Keys)})"));
            return null;
        }

        var action = new CompiledAction { Kind = kind, DurationMs = a.DurationMs ?? -1 };
        if (a.DurationMs is < 0)
        {
            errors.Add(($"{path}.durationMs", "durationMs must be 0 or more"));
        }

        if (a.Probability is { } p && (p < 0 || p > 1 || !double.IsFinite(p)))
        {
            errors.Add(($"{path}.probability", "probability must be between 0 and 1"));
        }

        switch (kind)
        {
            case ActionKind.Publish:
                string topic = a.Topic ?? model.Connection.TopicPattern ?? DeviceDefaults.TopicPattern;
                if (!ModelTemplate.TryParse(topic, out var topicTemplate, out var topicError))
                {
                    errors.Add(($"{path}.topic", topicError!));
                    break;
                }

                action.Topic = topicTemplate;
                action.TopicPlaceholders = new Placeholder[topicTemplate.Placeholders.Count];
                action.TopicIsDeviceConstant = true;
                for (int i = 0; i < action.TopicPlaceholders.Length; i++)
                {
                    if (!PlaceholderResolver.TryResolve(topicTemplate.Placeholders[i], symbols, allowParameters, out action.TopicPlaceholders[i]))
                    {
                        errors.Add(($"{path}.topic", $"unknown placeholder '${{{topicTemplate.Placeholders[i]}}}'"));
                    }

                    action.TopicIsDeviceConstant &= action.TopicPlaceholders[i].Kind is PlaceholderKind.DeviceId or PlaceholderKind.Index or PlaceholderKind.GroupId;
                }

                if (a.Payload is { } payload)
                {
                    PayloadTemplate.TryCompile(payload, symbols, allowParameters, $"{path}.payload", errors, out action.Payload);
                }

                action.Qos = ReadInt(a, "qos") ?? model.Connection.Qos;
                action.Retain = ReadBool(a, "retain") ?? false;
                break;
            case ActionKind.Set:
            case ActionKind.SetState:
                bool state = kind == ActionKind.SetState;
                if (string.IsNullOrEmpty(a.Target))
                {
                    errors.Add(($"{path}.target", $"target is required for {a.Type}"));
                    break;
                }

                action.TargetSlot = state ? symbols.StateIndex(a.Target) : symbols.TelemetryIndex(a.Target);
                if (action.TargetSlot < 0)
                {
                    errors.Add(($"{path}.target", state
                        ? $"unknown state variable '{a.Target}' (declare it in the model's state)"
                        : $"unknown telemetry item '{a.Target}'"));
                }

                if (a.Value is not { } value || value.ValueKind == JsonValueKind.Undefined)
                {
                    errors.Add(($"{path}.value", $"value is required for {a.Type}"));
                    break;
                }

                action.Value = CompileValue(value, symbols, allowParameters, $"{path}.value", errors);
                break;
            case ActionKind.Stuck:
            case ActionKind.Spike:
            case ActionKind.Drift:
            case ActionKind.BatteryDrain:
                string? target = a.Target ?? (kind == ActionKind.BatteryDrain ? "battery" : null);
                if (target is null)
                {
                    errors.Add(($"{path}.target", $"target (a telemetry item) is required for {a.Type}"));
                    break;
                }

                action.TargetSlot = symbols.TelemetryIndex(target);
                if (action.TargetSlot < 0)
                {
                    errors.Add(($"{path}.target", $"unknown telemetry item '{target}'"));
                }

                if (kind != ActionKind.Stuck && a.Magnitude is null)
                {
                    errors.Add(($"{path}.magnitude", $"magnitude is required for {a.Type}"));
                }

                action.Magnitude = a.Magnitude ?? 0;
                action.Probability = a.Probability ?? 1;
                break;
            case ActionKind.Flap:
                action.Probability = a.Probability ?? 0.5;
                action.Magnitude = a.Magnitude ?? 1000;
                if (action.Magnitude < 0)
                {
                    errors.Add(($"{path}.magnitude", "magnitude (outage length in ms) must be 0 or more"));
                }

                break;
        }

        return action;
    }

    private static ValueTemplate CompileValue(JsonElement value, ModelSymbols symbols, bool allowParameters, string path, List<(string, string)> errors)
    {
        var result = new ValueTemplate { Literal = ModelSymbols.ToValue(value) };
        if (value.ValueKind == JsonValueKind.String && value.GetString() is { } s && s.Contains("${", StringComparison.Ordinal))
        {
            if (!ModelTemplate.TryParse(s, out var template, out var error))
            {
                errors.Add((path, error!));
                return result;
            }

            var resolved = new Placeholder[template.Placeholders.Count];
            for (int i = 0; i < resolved.Length; i++)
            {
                if (!PlaceholderResolver.TryResolve(template.Placeholders[i], symbols, allowParameters, out resolved[i]))
                {
                    errors.Add((path, $"unknown placeholder '${{{template.Placeholders[i]}}}'"));
                }
            }

            if (resolved.Length == 1 && s.Trim() == "${" + template.Placeholders[0] + "}")
            {
                result.Placeholder = resolved[0];
            }
            else
            {
                result.Text = template;
                result.TextPlaceholders = resolved;
            }
        }

        return result;
    }

    private static int? ReadInt(ActionDefinition a, string name) =>
        a.Extra is not null && a.Extra.TryGetValue(name, out var e) && e.TryGetInt32(out int v) ? v : null;

    private static bool? ReadBool(ActionDefinition a, string name) =>
        a.Extra is not null && a.Extra.TryGetValue(name, out var e) && e.ValueKind is JsonValueKind.True or JsonValueKind.False ? e.GetBoolean() : null;
}
