using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using IoTix.Core.Generators;

namespace IoTix.Core.Models;

/// <summary>
/// The model format's own rules beyond the schema: generator settings, data files, custom
/// handlers, placeholders, names and references between items, protocol requirements.
/// Gets the raw JSON next to the bound model to see which fields were written.
/// </summary>
internal sealed partial class ModelSemanticChecks
{
    internal static readonly string[] GeneratorTypes = ["random", "sequence", "constant", "replay", "custom"];
    internal static readonly string[] Distributions = ["uniform", "normal", "exponential"];
    internal static readonly string[] ActionTypes =
        ["publish", "set", "setState", "disconnect", "fail", "recover", "stuck", "spike", "drift", "batteryDrain", "silence", "flap"];
    internal static readonly string[] DevicePlaceholders = ["deviceId", "index", "groupId"];

    // Generator fields that belong to particular generator types; fields not listed here apply to any type.
    private static readonly Dictionary<string, string[]> GeneratorFieldOwners = new(StringComparer.Ordinal)
    {
        ["min"] = ["random", "sequence"],
        ["max"] = ["random", "sequence"],
        ["distribution"] = ["random"],
        ["mean"] = ["random"],
        ["stddev"] = ["random"],
        ["values"] = ["random"],
        ["start"] = ["sequence"],
        ["step"] = ["sequence"],
        ["wrap"] = ["sequence"],
        ["value"] = ["constant"],
        ["dataFile"] = ["replay"],
        ["column"] = ["replay"],
        ["loop"] = ["replay"],
        ["timestampColumn"] = ["replay"],
        ["handler"] = ["custom"],
        ["config"] = ["custom"],
        ["script"] = ["custom"],
    };

    private static readonly Lazy<string> GeneratorFields = new(() => JsonFieldsOf(typeof(GeneratorDefinition)));
    private static readonly Lazy<string> TriggerFields = new(() => JsonFieldsOf(typeof(TriggerDefinition)));
    private static readonly Lazy<string> ActionFields = new(() => JsonFieldsOf(typeof(ActionDefinition)));

    private readonly Dictionary<string, ICustomGeneratorHandler> _handlers = new(StringComparer.Ordinal);

    public ModelSemanticChecks(IEnumerable<ICustomGeneratorHandler> handlers)
    {
        foreach (var handler in handlers)
        {
            _handlers[handler.Name] = handler;
        }

        HandlerNames = [.. _handlers.Keys.Order(StringComparer.Ordinal)];
    }

    public IReadOnlyList<string> HandlerNames { get; }

    public void Check(DeviceModel model, JsonElement root, ModelCheckContext context)
    {
        var telemetryNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in model.Telemetry)
        {
            telemetryNames.Add(item.Name);
        }

        var stateNames = new HashSet<string>(StringComparer.Ordinal);
        if (model.State is not null)
        {
            foreach (var name in model.State.Keys)
            {
                stateNames.Add(name);
            }
        }

        var names = new Names(telemetryNames, stateNames);
        CheckNames(model, context, names);
        CheckConnection(model, context, names);
        CheckPayload(model, context);
        var telemetryJson = Child(root, "telemetry");
        for (int i = 0; i < model.Telemetry.Count; i++)
        {
            CheckTelemetry(model.Telemetry[i], Item(telemetryJson, i), $"$.telemetry[{i}]", context, names);
        }

        CheckCommands(model, context, names);
        for (int i = 0; i < model.Behaviors.Count; i++)
        {
            CheckBehavior(model, model.Behaviors[i], $"$.behaviors[{i}]", context, names);
        }
    }

    private sealed record Names(HashSet<string> Telemetry, HashSet<string> State)
    {
        public bool IsKnown(string name) =>
            Array.IndexOf(DevicePlaceholders, name) >= 0 || Telemetry.Contains(name) || State.Contains(name);

        public string Describe()
        {
            var all = new List<string>(DevicePlaceholders);
            all.AddRange(Telemetry);
            all.AddRange(State);
            return string.Join(", ", all);
        }
    }

    // ---- names ---------------------------------------------------------------------------

    private static void CheckNames(DeviceModel model, ModelCheckContext context, Names names)
    {
        CheckUnique(model.Telemetry, t => t.Name, "telemetry", "telemetry item", context);
        CheckUnique(model.Commands, c => c.Name, "commands", "command", context);
        CheckUnique(model.Behaviors, b => b.Name, "behaviors", "behaviour", context);
        for (int i = 0; i < model.Commands.Count; i++)
        {
            CheckUnique(model.Commands[i].Parameters, p => p.Name, $"commands[{i}].parameters", "parameter", context);
        }

        for (int i = 0; i < model.Telemetry.Count; i++)
        {
            var name = model.Telemetry[i].Name;
            if (Array.IndexOf(DevicePlaceholders, name) >= 0)
            {
                context.Error($"$.telemetry[{i}].name", $"'{name}' is reserved for the device's {name}; choose another name");
            }
        }

        foreach (var name in names.State)
        {
            var path = "$.state." + name;
            if (!IdentifierRegex().IsMatch(name))
            {
                context.Error(path, "state variable names must be identifiers: letters, digits and '_', not starting with a digit");
            }
            else if (Array.IndexOf(DevicePlaceholders, name) >= 0)
            {
                context.Error(path, $"'{name}' is reserved for the device's {name}; choose another name");
            }
            else if (names.Telemetry.Contains(name))
            {
                context.Error(path, $"state variable '{name}' has the same name as a telemetry item; ${{{name}}} would be ambiguous");
            }
        }
    }

    private static void CheckUnique<T>(IReadOnlyList<T> items, Func<T, string> name, string arrayPath, string what, ModelCheckContext context)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < items.Count; i++)
        {
            var n = name(items[i]);
            if (seen.TryGetValue(n, out int first))
            {
                context.Error($"$.{arrayPath}[{i}].name", $"duplicate {what} name '{n}' (first defined at $.{arrayPath}[{first}])");
            }
            else
            {
                seen[n] = i;
            }
        }
    }

    // ---- connection ----------------------------------------------------------------------

    private static void CheckConnection(DeviceModel model, ModelCheckContext context, Names names)
    {
        var c = model.Connection;
        const string path = "$.connection";
        CheckTemplate(c.Broker, path + ".broker", context, names, allowEnv: false);
        CheckTemplate(c.ClientIdPattern, path + ".clientIdPattern", context, names, allowEnv: false);
        CheckTemplate(c.TopicPattern, path + ".topicPattern", context, names, allowEnv: false);
        if (c.Headers is not null)
        {
            foreach (var (key, value) in c.Headers)
            {
                CheckTemplate(value, $"{path}.headers.{key}", context, names, allowEnv: true);
            }
        }

        if (c.Credentials is { } credentials)
        {
            CheckTemplate(credentials.Username, path + ".credentials.username", context, names, allowEnv: true);
            CheckTemplate(credentials.Password, path + ".credentials.password", context, names, allowEnv: true);
            CheckTemplate(credentials.Token, path + ".credentials.token", context, names, allowEnv: true);
        }

        if (c.Tls is { } tls && (tls.CertFile is null) != (tls.KeyFile is null))
        {
            context.Error(path + ".tls", "mutual TLS needs both 'certFile' and 'keyFile'");
        }

        switch (model.Protocol)
        {
            case DeviceProtocol.Mqtt:
                if (c.ClientIdPattern is not null && ModelTemplate.TryParse(c.ClientIdPattern, out var clientId, out _)
                    && !clientId.Placeholders.Contains("deviceId") && !clientId.Placeholders.Contains("index"))
                {
                    context.Error(path + ".clientIdPattern",
                        "must contain ${deviceId} or ${index}: devices sharing one client id disconnect each other");
                }

                CheckUserProperties(c, path + ".userProperties", context);
                if (c.LastWill is { } will)
                {
                    CheckTemplate(will.Topic, path + ".lastWill.topic", context, names, allowEnv: false);
                    CheckJsonTemplates(will.Payload, path + ".lastWill.payload", context, names, null);
                    if (will.DelaySeconds is not null && c.MqttVersion == "3.1.1")
                    {
                        context.Error(path + ".lastWill.delaySeconds", "the will delay needs MQTT 5 (mqttVersion is 3.1.1)");
                    }
                }

                break;

            case DeviceProtocol.Coap:
            case DeviceProtocol.Http:
                CheckUrl(model.Protocol, c.Url, path, context, names);
                if (c.LastWill is not null)
                {
                    context.Error(path + ".lastWill", $"a last will applies to MQTT devices only (protocol is {Protocol(model.Protocol)})");
                }

                if (c.UserProperties is { Count: > 0 })
                {
                    context.Error(path + ".userProperties", $"user properties apply to MQTT 5 devices only (protocol is {Protocol(model.Protocol)})");
                }

                break;
        }
    }

    /// <summary>MQTT 5 user properties: MQTT 5 only; values resolved once per device, so only device placeholders and <c>${env:NAME}</c>.</summary>
    private static void CheckUserProperties(ConnectionSettings c, string path, ModelCheckContext context)
    {
        if (c.UserProperties is not { Count: > 0 } properties)
        {
            return;
        }

        if (c.MqttVersion == "3.1.1")
        {
            context.Error(path, "user properties need MQTT 5 (mqttVersion is 3.1.1)");
            return;
        }

        foreach (var (name, value) in properties)
        {
            string at = $"{path}.{name}";
            if (name.Length == 0)
            {
                context.Error(path, "a user property name must not be empty");
                continue;
            }

            if (!ModelTemplate.TryParse(value, out var template, out var error))
            {
                context.Error(at, error ?? "malformed placeholder");
                continue;
            }

            foreach (var placeholder in template.Placeholders)
            {
                if (placeholder.StartsWith("env:", StringComparison.Ordinal))
                {
                    if (!EnvNameRegex().IsMatch(placeholder.AsSpan(4)))
                    {
                        context.Error(at, $"${{{placeholder}}}: '{placeholder[4..]}' is not a valid environment variable name");
                    }
                }
                else if (Array.IndexOf(DevicePlaceholders, placeholder) < 0)
                {
                    context.Error(at, $"unknown placeholder '${{{placeholder}}}': user properties are resolved once per device (known: deviceId, index, groupId, env:NAME)");
                }
            }
        }
    }

    private static void CheckUrl(DeviceProtocol protocol, string? url, string path, ModelCheckContext context, Names names)
    {
        string[] schemes = protocol == DeviceProtocol.Coap ? ["coap", "coaps"] : ["http", "https"];
        string example = protocol == DeviceProtocol.Coap
            ? "coap://localhost:5683/devices/${deviceId}"
            : "http://localhost:8080/api/devices/${deviceId}/telemetry";
        if (url is null)
        {
            context.Error(path, $"{(protocol == DeviceProtocol.Http ? "an" : "a")} {Protocol(protocol)} device needs 'url' (e.g. {example})");
            return;
        }

        if (!CheckTemplate(url, path + ".url", context, names, allowEnv: false))
        {
            return;
        }

        var sample = ModelTemplate.Parse(url).RenderForDevice("device-1", 0, "group-1", _ => "x");
        if (!Uri.TryCreate(sample, UriKind.Absolute, out var uri) || Array.IndexOf(schemes, uri.Scheme) < 0)
        {
            context.Error(path + ".url", $"must be an absolute {string.Join(" or ", schemes)} URL (e.g. {example})");
        }
    }

    private static void CheckPayload(DeviceModel model, ModelCheckContext context)
    {
        if (model.Payload.Format != PayloadFormat.Binary)
        {
            return;
        }

        foreach (var item in model.Telemetry)
        {
            if (item.Type == TelemetryDataType.Binary)
            {
                return;
            }
        }

        context.Error("$.payload.format", "binary payloads need a telemetry item of type 'binary' (its bytes are the message)");
    }

    // ---- telemetry -----------------------------------------------------------------------

    private void CheckTelemetry(TelemetryDefinition item, JsonElement? json, string path, ModelCheckContext context, Names names)
    {
        CheckTemplate(item.Topic, path + ".topic", context, names, allowEnv: false);
        if (item.Type != TelemetryDataType.Binary && item.Encoding != BinaryEncoding.Base64)
        {
            context.Error(path + ".encoding", "'encoding' applies to binary items only");
        }

        var g = item.Generator;
        var gp = path + ".generator";
        if (Array.IndexOf(GeneratorTypes, g.Type) < 0)
        {
            context.Error(gp + ".type", $"unknown generator type '{g.Type}' (known: {string.Join(", ", GeneratorTypes)})");
            return;
        }

        if (g.Extra is not null)
        {
            foreach (var key in g.Extra.Keys)
            {
                context.Error($"{gp}.{key}", $"unknown generator field '{key}' (allowed: {GeneratorFields.Value})");
            }
        }

        var generatorJson = Child(json, "generator");
        if (generatorJson is { ValueKind: JsonValueKind.Object } rawGenerator)
        {
            foreach (var property in rawGenerator.EnumerateObject())
            {
                if (GeneratorFieldOwners.TryGetValue(property.Name, out var owners) && Array.IndexOf(owners, g.Type) < 0)
                {
                    context.Error($"{gp}.{property.Name}",
                        $"'{property.Name}' does not apply to a {g.Type} generator (it is a setting of {string.Join(" and ", owners)})");
                }
            }
        }

        if (item.Type == TelemetryDataType.Binary && g.Type != "custom")
        {
            context.Error(gp + ".type", $"binary telemetry needs a custom generator (e.g. handler ecg_generator), not {g.Type}");
            return;
        }

        bool hasValues = Child(generatorJson, "values") is not null;
        switch (g.Type)
        {
            case "random":
                CheckRandom(item, g, gp, context, hasValues);
                break;
            case "sequence":
                CheckSequence(item, g, gp, context);
                break;
            case "constant":
                if (g.Value is not { ValueKind: not JsonValueKind.Null } value)
                {
                    context.Error(gp, "a constant generator needs 'value'");
                }
                else
                {
                    CheckValueType(value, item.Type, gp + ".value", "the item's type", context);
                }

                break;
            case "replay":
                CheckReplay(g, gp, context);
                break;
            case "custom":
                CheckCustom(item, g, gp, context);
                break;
        }
    }

    private static void CheckRandom(TelemetryDefinition item, GeneratorDefinition g, string gp, ModelCheckContext context, bool hasValues)
    {
        if (item.Type == TelemetryDataType.String && !hasValues)
        {
            context.Error(gp + ".type", "a random generator produces numbers; a string item needs a constant, replay or custom generator");
        }

        // Range errors are reported whatever the distribution, so one pass shows every problem.
        CheckMinMax(g, gp, context);
        var distribution = g.Distribution ?? "uniform";
        if (Array.IndexOf(Distributions, distribution) < 0)
        {
            context.Error(gp + ".distribution", $"unknown distribution '{distribution}' (known: {string.Join(", ", Distributions)})");
            return;
        }

        if (g.Stddev is <= 0)
        {
            context.Error(gp + ".stddev", $"stddev must be greater than 0 (found {Num(g.Stddev.Value)})");
        }

        if (g.Mean is { } mean && g.Min is { } min && g.Max is { } max && min <= max && (mean < min || mean > max))
        {
            context.Error(gp + ".mean", $"mean ({Num(mean)}) lies outside min..max ({Num(min)}..{Num(max)})");
        }

        if (hasValues)
        {
            return;
        }

        bool range = g.Min is not null && g.Max is not null;
        switch (distribution)
        {
            case "uniform" when !range:
                context.Error(gp, "a uniform random generator needs 'min' and 'max'");
                break;
            case "normal" when !range && (g.Mean is null || g.Stddev is null):
                context.Error(gp, "a normal random generator needs 'mean' and 'stddev', or 'min' and 'max'");
                break;
            case "exponential" when !range && g.Mean is null:
                context.Error(gp, "an exponential random generator needs 'mean', or 'min' and 'max'");
                break;
        }
    }

    private static void CheckSequence(TelemetryDefinition item, GeneratorDefinition g, string gp, ModelCheckContext context)
    {
        if (item.Type is TelemetryDataType.String or TelemetryDataType.Boolean)
        {
            context.Error(gp + ".type", $"a sequence generator produces numbers; a {TypeName(item.Type)} item needs a constant, replay or custom generator");
        }

        if (g.Step is 0)
        {
            context.Error(gp + ".step", "step must not be 0 (the value would never change)");
        }

        bool ordered = CheckMinMax(g, gp, context);
        if (g.Start is { } start && ordered && ((g.Min is { } min && start < min) || (g.Max is { } max && start > max)))
        {
            context.Error(gp + ".start", $"start ({Num(start)}) lies outside min..max ({Num(g.Min)}..{Num(g.Max)})");
        }

        if (g.Wrap == true && (g.Min is null || g.Max is null))
        {
            context.Error(gp + ".wrap", "wrap needs both 'min' and 'max'");
        }
    }

    private static bool CheckMinMax(GeneratorDefinition g, string gp, ModelCheckContext context)
    {
        if (g.Min is { } min && g.Max is { } max && min > max)
        {
            context.Error(gp + ".min", $"min ({Num(min)}) is greater than max ({Num(max)})");
            return false;
        }

        return true;
    }

    private static void CheckReplay(GeneratorDefinition g, string gp, ModelCheckContext context)
    {
        if (g.DataFile is null)
        {
            context.Error(gp, "a replay generator needs 'dataFile' (a CSV file, relative to the model file's folder)");
            return;
        }

        if (context.ModelDirectory is null)
        {
            context.Error(gp + ".dataFile", "data files can only be used by models loaded from a file");
            return;
        }

        var file = Path.IsPathRooted(g.DataFile) ? g.DataFile : Path.GetFullPath(Path.Combine(context.ModelDirectory, g.DataFile));
        if (!File.Exists(file))
        {
            context.Error(gp + ".dataFile", $"data file not found: {file}");
            return;
        }

        if (!TryReadCsvHeader(file, out var columns, out var problem))
        {
            context.Error(gp + ".dataFile", problem);
            return;
        }

        foreach (var (field, column) in (ReadOnlySpan<(string, string?)>)[("column", g.Column), ("timestampColumn", g.TimestampColumn)])
        {
            if (column is not null && !columns.Contains(column))
            {
                context.Error($"{gp}.{field}", $"column '{column}' is not in the header of {Path.GetFileName(file)} (columns: {string.Join(", ", columns)})");
            }
        }
    }

    /// <summary>Reads the header row of a comma-separated file (quotes and a UTF-8 BOM allowed).</summary>
    internal static bool TryReadCsvHeader(string file, out List<string> columns, out string problem)
    {
        columns = [];
        try
        {
            using var reader = new StreamReader(file, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            string? line;
            do
            {
                line = reader.ReadLine();
            }
            while (line is not null && (line.Trim().Length == 0 || line.TrimStart().StartsWith('#')));

            if (line is null)
            {
                problem = $"data file {Path.GetFileName(file)} is empty (it needs a header row)";
                return false;
            }

            foreach (var cell in line.Split(','))
            {
                columns.Add(cell.Trim().Trim('"').Trim());
            }

            problem = string.Empty;
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problem = $"cannot read data file {file}: {ex.Message}";
            return false;
        }
    }

    private void CheckCustom(TelemetryDefinition item, GeneratorDefinition g, string gp, ModelCheckContext context)
    {
        var registered = HandlerNames.Count == 0 ? "none are registered" : "registered: " + string.Join(", ", HandlerNames);
        if (g.Handler is null)
        {
            context.Error(gp, $"a custom generator needs 'handler' ({registered})");
            return;
        }

        if (!_handlers.TryGetValue(g.Handler, out var handler))
        {
            context.Error(gp + ".handler", $"no custom generator handler named '{g.Handler}' ({registered})");
            return;
        }

        IReadOnlyList<string> messages;
        try
        {
            messages = handler.Validate(item);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            messages = [$"handler '{g.Handler}' failed to check its settings: {ex.Message}"];
        }

        foreach (var message in messages)
        {
            context.Error(gp, message);
        }
    }

    // ---- commands ------------------------------------------------------------------------

    private static void CheckCommands(DeviceModel model, ModelCheckContext context, Names names)
    {
        for (int i = 0; i < model.Commands.Count; i++)
        {
            var command = model.Commands[i];
            CheckTemplate(command.Topic, $"$.commands[{i}].topic", context, names, allowEnv: false);
            for (int j = 0; j < command.Parameters.Count; j++)
            {
                var parameter = command.Parameters[j];
                var pp = $"$.commands[{i}].parameters[{j}]";
                if (parameter.Default is not { ValueKind: not JsonValueKind.Null } value)
                {
                    continue;
                }

                if (parameter.Required)
                {
                    context.Error(pp + ".default", "a required parameter cannot have a default");
                }

                CheckValueType(value, parameter.Type, pp + ".default", "the parameter's type", context);
            }
        }
    }

    // ---- behaviours ----------------------------------------------------------------------

    private static void CheckBehavior(DeviceModel model, BehaviorDefinition behavior, string path, ModelCheckContext context, Names names)
    {
        var trigger = behavior.Trigger;
        var tp = path + ".trigger";
        ReportExtra(trigger.Extra, tp, "trigger", TriggerFields.Value, context);
        CommandDefinition? command = null;
        switch (trigger.Type)
        {
            case "condition" when string.IsNullOrWhiteSpace(trigger.Condition):
                context.Error(tp, "a condition trigger needs 'condition' (e.g. \"temperature > 30\")");
                break;
            case "time":
                if (trigger.AfterMs is null && trigger.EveryMs is null && trigger.Cron is null)
                {
                    context.Error(tp, "a time trigger needs 'afterMs', 'everyMs' or 'cron'");
                }
                else if (trigger.Cron is not null && trigger.EveryMs is not null)
                {
                    context.Error(tp + ".cron", "use either 'cron' or 'everyMs', not both");
                }

                break;
            case "command":
                if (trigger.Command is null)
                {
                    context.Error(tp, "a command trigger needs 'command' (the name of one of the model's commands)");
                    break;
                }

                foreach (var c in model.Commands)
                {
                    if (c.Name == trigger.Command)
                    {
                        command = c;
                    }
                }

                if (command is null)
                {
                    var known = model.Commands.Count == 0 ? "the model defines no commands" : "commands: " + string.Join(", ", model.Commands.Select(c => c.Name));
                    context.Error(tp + ".command", $"unknown command '{trigger.Command}' ({known})");
                }

                break;
            case "state" when trigger.State is null:
                context.Error(tp, "a state trigger needs 'state' (a lifecycle state or a state variable)");
                break;
        }

        var action = behavior.Action;
        var ap = path + ".action";
        ReportExtra(action.Extra, ap, "action", ActionFields.Value, context);
        if (Array.IndexOf(ActionTypes, action.Type) < 0)
        {
            context.Error(ap + ".type", $"unknown action type '{action.Type}' (known: {string.Join(", ", ActionTypes)})");
            return;
        }

        CheckTemplate(action.Topic, ap + ".topic", context, names, allowEnv: false, command);
        CheckJsonTemplates(action.Payload, ap + ".payload", context, names, command);
        CheckJsonTemplates(action.Value, ap + ".value", context, names, command);
        switch (action.Type)
        {
            case "set":
                RequireTarget(action, ap, context, names.Telemetry, "telemetry item", "telemetry items");
                RequireValue(action, ap, context);
                break;
            case "setState":
                RequireTarget(action, ap, context, names.State, "state variable", "state variables");
                RequireValue(action, ap, context);
                break;
            case "stuck" or "spike" or "drift" or "batteryDrain" or "silence" or "flap" when action.Target is not null:
                if (!names.Telemetry.Contains(action.Target) && !names.State.Contains(action.Target))
                {
                    context.Error(ap + ".target", $"'{action.Target}' is neither a telemetry item nor a state variable");
                }

                break;
        }
    }

    private static void RequireTarget(ActionDefinition action, string ap, ModelCheckContext context, HashSet<string> allowed, string what, string plural)
    {
        if (action.Target is null)
        {
            context.Error(ap, $"a {action.Type} action needs 'target' (a {what})");
        }
        else if (!allowed.Contains(action.Target))
        {
            var known = allowed.Count == 0 ? $"the model defines no {plural}" : $"{plural}: {string.Join(", ", allowed)}";
            context.Error(ap + ".target", $"unknown {what} '{action.Target}' ({known})");
        }
    }

    private static void RequireValue(ActionDefinition action, string ap, ModelCheckContext context)
    {
        if (action.Value is null)
        {
            context.Error(ap, $"a {action.Type} action needs 'value'");
        }
    }

    private static void ReportExtra(IDictionary<string, JsonElement>? extra, string path, string what, string allowed, ModelCheckContext context)
    {
        if (extra is null)
        {
            return;
        }

        foreach (var key in extra.Keys)
        {
            context.Error($"{path}.{key}", $"unknown {what} field '{key}' (allowed: {allowed})");
        }
    }

    // ---- placeholders --------------------------------------------------------------------

    /// <summary>Checks a <c>${...}</c> pattern; true when it parses and every placeholder is known.</summary>
    private static bool CheckTemplate(string? text, string path, ModelCheckContext context, Names names, bool allowEnv, CommandDefinition? command = null)
    {
        if (text is null)
        {
            return true;
        }

        if (!ModelTemplate.TryParse(text, out var template, out var error))
        {
            context.Error(path, error ?? "malformed placeholder");
            return false;
        }

        bool ok = true;
        foreach (var name in template.Placeholders)
        {
            if (name.StartsWith("env:", StringComparison.Ordinal))
            {
                if (!allowEnv)
                {
                    context.Error(path, $"${{{name}}}: environment placeholders are allowed in credentials and headers only");
                    ok = false;
                }
                else if (!EnvNameRegex().IsMatch(name.AsSpan(4)))
                {
                    context.Error(path, $"${{{name}}}: '{name[4..]}' is not a valid environment variable name");
                    ok = false;
                }

                continue;
            }

            if (names.IsKnown(name) || (command is not null && command.Parameters.Any(p => p.Name == name)))
            {
                continue;
            }

            var known = names.Describe();
            if (command is not null && command.Parameters.Count > 0)
            {
                known += ", " + string.Join(", ", command.Parameters.Select(p => p.Name));
            }

            context.Error(path, $"unknown placeholder '${{{name}}}' (known: {known}{(allowEnv ? ", env:NAME" : string.Empty)})");
            ok = false;
        }

        return ok;
    }

    private static void CheckJsonTemplates(JsonElement? value, string path, ModelCheckContext context, Names names, CommandDefinition? command)
    {
        if (value is not { } element)
        {
            return;
        }

        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                CheckTemplate(element.GetString(), path, context, names, allowEnv: false, command);
                break;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    CheckJsonTemplates(property.Value, $"{path}.{property.Name}", context, names, command);
                }

                break;
            case JsonValueKind.Array:
                int i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    CheckJsonTemplates(item, $"{path}[{i++}]", context, names, command);
                }

                break;
        }
    }

    // ---- values --------------------------------------------------------------------------

    private static void CheckValueType(JsonElement value, TelemetryDataType type, string path, string whose, ModelCheckContext context)
    {
        bool ok = type switch
        {
            TelemetryDataType.Number => value.ValueKind == JsonValueKind.Number,
            TelemetryDataType.Integer => value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var d) && Math.Floor(d) == d,
            TelemetryDataType.Boolean => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
            TelemetryDataType.String => value.ValueKind == JsonValueKind.String,
            TelemetryDataType.Binary => value.ValueKind == JsonValueKind.String, // base64 text
            _ => true,
        };
        if (!ok)
        {
            var expected = type switch
            {
                TelemetryDataType.Number => "a number",
                TelemetryDataType.Integer => "a whole number",
                TelemetryDataType.Boolean => "true or false",
                TelemetryDataType.String => "a string",
                _ => "a base64 string",
            };
            context.Error(path, $"must be {expected} to match {whose} '{TypeName(type)}' (found {Describe(value)})");
        }
    }

    internal static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => "\"" + value.GetString() + "\"",
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        _ => "null",
    };

    // ---- helpers -------------------------------------------------------------------------

    private static JsonElement? Child(JsonElement? element, string name) =>
        element is { ValueKind: JsonValueKind.Object } e && e.TryGetProperty(name, out var child) ? child : null;

    private static JsonElement? Item(JsonElement? element, int index) =>
        element is { ValueKind: JsonValueKind.Array } e && index < e.GetArrayLength() ? e[index] : null;

    private static string JsonFieldsOf(Type type)
    {
        var info = DeviceModelSerializer.Options.GetTypeInfo(type);
        var names = new List<string>();
        foreach (var property in info.Properties)
        {
            if (!property.IsExtensionData)
            {
                names.Add(property.Name);
            }
        }

        return string.Join(", ", names);
    }

    private static string TypeName(TelemetryDataType type) => type.ToString().ToLowerInvariant();

    private static string Protocol(DeviceProtocol protocol) => protocol.ToString().ToLowerInvariant();

    private static string Num(double? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "unset";

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex IdentifierRegex();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvNameRegex();
}
