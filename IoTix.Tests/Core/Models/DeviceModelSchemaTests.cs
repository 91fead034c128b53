using System.Text.Json;
using System.Text.Json.Nodes;
using IoTix.Core.Models;
using static IoTix.Tests.Core.Models.ModelTestSupport;

namespace IoTix.Tests.Core.Models;

/// <summary>The published JSON Schema: error paths and wording, and agreement with the C# contract.</summary>
public sealed class DeviceModelSchemaTests
{
    [Fact]
    public void Base_model_is_valid()
    {
        var result = Validator().Validate(BaseModel);

        Assert.True(result.IsValid, Describe(result));
        Assert.Equal("test-model", result.Model.Id);
        Assert.Equal(3, result.Model.Telemetry.Count);
    }

    [Fact]
    public void Missing_required_property_is_reported_at_its_parent_with_its_name()
    {
        var json = Mutate(m => m["telemetry"]![1]!.AsObject().Remove("name"));

        var result = Validator().Validate(json, "m.json");

        Assert.False(result.IsValid);
        var error = Assert.Single(result.Errors);
        Assert.Equal("$.telemetry[1]", error.Path);
        Assert.Equal("required property 'name' is missing", error.Message);
        Assert.Equal("m.json", error.File);
    }

    [Fact]
    public void Missing_root_properties_are_all_reported()
    {
        var result = Validator().Validate("""{ "id": "x" }""");

        Assert.Contains(result.Errors, e => e.Path == "$" && e.Message == "required property 'name' is missing");
        Assert.Contains(result.Errors, e => e.Path == "$" && e.Message == "required property 'type' is missing");
        Assert.Contains(result.Errors, e => e.Path == "$" && e.Message == "required property 'protocol' is missing");
    }

    [Fact]
    public void Wrong_enum_value_lists_the_allowed_values()
    {
        var json = Mutate(m => m["protocol"] = "amqp");

        var result = Validator().Validate(json);

        var error = Assert.Single(result.Errors);
        Assert.Equal("$.protocol", error.Path);
        Assert.Equal("must be one of mqtt, coap, http (found \"amqp\")", error.Message);
    }

    [Fact]
    public void Wrong_type_names_the_expected_type_and_the_found_value()
    {
        var json = Mutate(m => m["telemetry"]![0]!["intervalMs"] = "fast");

        var result = Validator().Validate(json);

        var error = Assert.Single(result.Errors);
        Assert.Equal("$.telemetry[0].intervalMs", error.Path);
        Assert.Equal("must be a whole number (found \"fast\")", error.Message);
    }

    [Fact]
    public void Qos_3_is_out_of_range()
    {
        var json = Mutate(m => m["connection"]!["qos"] = 3);

        var result = Validator().Validate(json);

        var error = Assert.Single(result.Errors);
        Assert.Equal("$.connection.qos", error.Path);
        Assert.Equal("must be at most 2 (found 3)", error.Message);
    }

    [Fact]
    public void Nested_generator_number_of_wrong_type_has_the_full_path()
    {
        var json = Mutate(m => Generator(m, 0)["min"] = "low");

        var result = Validator().Validate(json);

        var error = Assert.Single(result.Errors);
        Assert.Equal("$.telemetry[0].generator.min", error.Path);
        Assert.StartsWith("must be a number", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_property_lists_the_allowed_ones()
    {
        var json = Mutate(m => m["connection"]!["hostname"] = "x");

        var result = Validator().Validate(json);

        var error = Assert.Single(result.Errors);
        Assert.Equal("$.connection.hostname", error.Path);
        Assert.StartsWith("unknown property 'hostname' (allowed: broker, url, port,", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_version_gets_the_readable_pattern_message()
    {
        var json = Mutate(m => m["version"] = "1.0");

        var result = Validator().Validate(json);

        var error = Assert.Single(result.Errors);
        Assert.Equal("$.version", error.Path);
        Assert.StartsWith("must be a semantic version", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Wrong_type_and_enum_on_one_value_is_reported_once()
    {
        var json = Mutate(m => m["type"] = 5);

        var result = Validator().Validate(json);

        var error = Assert.Single(result.Errors);
        Assert.Equal("$.type", error.Path);
        Assert.Equal("must be a string (found 5)", error.Message);
    }

    [Fact]
    public void Every_schema_error_of_a_file_is_reported()
    {
        var json = Mutate(m =>
        {
            m["connection"]!["qos"] = 7;
            m["type"] = "robot";
            m["telemetry"]![2]!["type"] = "text";
        });

        var result = Validator().Validate(json);

        Assert.Equal(
            ["$.connection.qos", "$.telemetry[2].type", "$.type"],
            result.Errors.Select(e => e.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Malformed_json_reports_line_and_position()
    {
        const string json = "{\n  \"id\": \"x\",\n  \"name\": oops\n}";

        var result = Validator().Validate(json, "broken.json");

        var error = Assert.Single(result.Errors);
        Assert.Equal("$", error.Path);
        Assert.StartsWith("malformed JSON at line 3, position 11:", error.Message, StringComparison.Ordinal);
        Assert.Equal("broken.json", result.File);
    }

    [Fact]
    public void Duplicate_keys_are_malformed()
    {
        var result = Validator().Validate("""{ "id": "a", "id": "b", "name": "n", "type": "sensor", "protocol": "mqtt" }""");

        var error = Assert.Single(result.Errors);
        Assert.StartsWith("malformed JSON", error.Message, StringComparison.Ordinal);
        Assert.Contains("Duplicate property 'id'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Comments_and_trailing_commas_are_accepted()
    {
        const string json = """
            {
              // a comment
              "id": "c", "name": "Commented", "type": "sensor", "protocol": "mqtt", /* block */
              "telemetry": [ { "name": "t", "generator": { "type": "constant", "value": 1, }, }, ],
            }
            """;

        var result = Validator().Validate(json);

        Assert.True(result.IsValid, Describe(result));
    }

    [Fact]
    public void A_json_array_is_not_a_model()
    {
        var result = Validator().Validate("[]");

        var error = Assert.Single(result.Errors);
        Assert.Equal("a device model must be a JSON object (found an array)", error.Message);
    }

    [Fact]
    public void Defaults_apply_when_fields_are_omitted()
    {
        var result = Validator().Validate("""
            { "id": "d", "name": "D", "type": "sensor", "protocol": "mqtt",
              "telemetry": [ { "name": "t", "generator": { "type": "constant", "value": 1.5 } } ] }
            """);

        Assert.True(result.IsValid, Describe(result));
        var model = result.Model;
        Assert.Equal(0, model.Connection.Qos);
        Assert.Equal(60, model.Connection.KeepAlive);
        Assert.True(model.Connection.CleanSession);
        Assert.Equal(TelemetryDataType.Number, model.Telemetry[0].Type);
        Assert.Equal(1000, model.Telemetry[0].IntervalMs);
        Assert.Equal(PayloadFormat.Json, model.Payload.Format);
        Assert.True(model.Payload.IncludeTimestamp);
    }

    // ---- the schema file and the C# classes agree ------------------------------------------

    public static TheoryData<string, Type> Definitions() => new()
    {
        { "", typeof(DeviceModel) },
        { "connection", typeof(ConnectionSettings) },
        { "tls", typeof(TlsSettings) },
        { "credentials", typeof(CredentialSettings) },
        { "lastWill", typeof(LastWillSettings) },
        { "telemetry", typeof(TelemetryDefinition) },
        { "generator", typeof(GeneratorDefinition) },
        { "command", typeof(CommandDefinition) },
        { "commandParameter", typeof(CommandParameter) },
        { "behavior", typeof(BehaviorDefinition) },
        { "trigger", typeof(TriggerDefinition) },
        { "action", typeof(ActionDefinition) },
        { "payload", typeof(PayloadSettings) },
    };

    [Theory]
    [MemberData(nameof(Definitions))]
    public void Schema_definition_has_exactly_the_properties_and_required_members_of_the_class(string definition, Type type)
    {
        using var schema = JsonDocument.Parse(DeviceModelSchema.Text);
        var node = definition.Length == 0 ? schema.RootElement : schema.RootElement.GetProperty("definitions").GetProperty(definition);
        var info = DeviceModelSerializer.Options.GetTypeInfo(type);

        var schemaProperties = node.GetProperty("properties").EnumerateObject().Select(p => p.Name).Where(n => n != "$schema").Order(StringComparer.Ordinal);
        // [JsonIgnore] members (SourceDirectory) are runtime data, not part of the format.
        var classProperties = info.Properties
            .Where(p => !p.IsExtensionData && p.AttributeProvider?.IsDefined(typeof(System.Text.Json.Serialization.JsonIgnoreAttribute), inherit: false) != true)
            .Select(p => p.Name).Order(StringComparer.Ordinal);
        var schemaRequired = node.TryGetProperty("required", out var required)
            ? required.EnumerateArray().Select(r => r.GetString()!).Order(StringComparer.Ordinal).ToArray()
            : [];
        var classRequired = info.Properties.Where(p => p.IsRequired).Select(p => p.Name).Order(StringComparer.Ordinal);

        // The README makes type and protocol required; the C# defaults (sensor, mqtt) only serve models built in code.
        string[] requiredBySchemaOnly = definition.Length == 0 ? ["protocol", "type"] : [];

        Assert.Equal(classProperties, schemaProperties);
        Assert.Equal(classRequired.Concat(requiredBySchemaOnly).Order(StringComparer.Ordinal), schemaRequired);
    }

    [Theory]
    [InlineData("#/properties/type", typeof(DeviceType))]
    [InlineData("#/properties/protocol", typeof(DeviceProtocol))]
    [InlineData("#/definitions/telemetry/properties/type", typeof(TelemetryDataType))]
    [InlineData("#/definitions/commandParameter/properties/type", typeof(TelemetryDataType))]
    [InlineData("#/definitions/telemetry/properties/encoding", typeof(BinaryEncoding))]
    [InlineData("#/definitions/payload/properties/format", typeof(PayloadFormat))]
    public void Schema_enums_are_the_serialized_names_of_the_csharp_enums(string pointer, Type enumType)
    {
        using var schema = JsonDocument.Parse(DeviceModelSchema.Text);
        var node = schema.RootElement;
        foreach (var part in pointer[2..].Split('/'))
        {
            node = node.GetProperty(part);
        }

        var schemaValues = node.GetProperty("enum").EnumerateArray().Select(v => v.GetString()!).ToArray();
        var csharpValues = Enum.GetValues(enumType).Cast<object>()
            .Select(v => JsonSerializer.Serialize(v, enumType, DeviceModelSerializer.Options).Trim('"')).ToArray();

        Assert.Equal(csharpValues, schemaValues);
    }

    [Fact]
    public void Every_field_of_the_contract_set_at_once_passes_the_schema()
    {
        var model = new DeviceModel
        {
            Id = "full", Name = "Full", Description = "every field", Version = "1.0.0-rc.1+build.5",
            Type = DeviceType.Custom, Protocol = DeviceProtocol.Mqtt,
            Connection = new ConnectionSettings
            {
                Broker = "b", Url = "mqtt://b", Port = 8883, ClientIdPattern = "c-${deviceId}", TopicPattern = "t/${deviceId}",
                Qos = 2, KeepAlive = 30, MqttVersion = "5", CleanSession = false, Method = "POST",
                Headers = new Dictionary<string, string> { ["X-A"] = "1" },
                Tls = new TlsSettings { Enabled = true, CaFile = "ca.pem", CertFile = "c.pem", KeyFile = "k.pem", AllowUntrusted = true },
                Credentials = new CredentialSettings { Username = "u", Password = "${env:P}", Token = "t" },
                LastWill = new LastWillSettings { Topic = "w", Payload = Json("{\"a\":1}"), Qos = 1, Retain = true, DelaySeconds = 3 },
            },
            Telemetry =
            [
                new TelemetryDefinition
                {
                    Name = "x", Type = TelemetryDataType.Binary, Unit = "u", IntervalMs = 10, Topic = "t", Encoding = BinaryEncoding.Array,
                    Generator = new GeneratorDefinition
                    {
                        Type = "custom", Min = 1, Max = 2, Distribution = "normal", Mean = 1.5, Stddev = 0.1, Start = 1, Step = 1, Wrap = true,
                        Value = Json("1"), DataFile = "d.csv", Column = "c", Loop = true, TimestampColumn = "ts", Handler = "h",
                        Config = Json("{\"k\":1}"), Script = "return 1;",
                    },
                },
            ],
            Commands = [new CommandDefinition { Name = "c", Topic = "t", Parameters = [new CommandParameter { Name = "p", Type = TelemetryDataType.Integer, Required = true, Default = Json("1") }] }],
            Behaviors =
            [
                new BehaviorDefinition
                {
                    Name = "b", CooldownMs = 5,
                    Trigger = new TriggerDefinition { Type = "state", Condition = "x > 1", AfterMs = 1, EveryMs = 2, Cron = "* * * * *", Command = "c", State = "s", StateValue = Json("true") },
                    Action = new ActionDefinition { Type = "spike", Topic = "t", Payload = Json("\"p\""), Target = "x", Value = Json("2"), DurationMs = 3, Magnitude = 4, Probability = 0.5 },
                },
            ],
            State = new Dictionary<string, JsonElement> { ["s"] = Json("1") },
            Payload = new PayloadSettings { Format = PayloadFormat.Binary, IncludeTimestamp = false, IncludeDeviceId = false },
            Metadata = new Dictionary<string, JsonElement> { ["m"] = Json("\"v\"") },
        };
        var json = DeviceModelSerializer.Serialize(model);

        var schemaErrors = DeviceModelSchema.Schema.Validate(json);
        var roundTrip = DeviceModelSerializer.Deserialize(JsonDocument.Parse(json).RootElement);

        Assert.Empty(schemaErrors);
        Assert.Equal(DeviceModelSerializer.Serialize(model), DeviceModelSerializer.Serialize(roundTrip));
        Assert.Contains("\"probability\": 0.5", json, StringComparison.Ordinal);
        Assert.Contains("\"format\": \"binary\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Published_schema_file_is_the_embedded_one()
    {
        var published = File.ReadAllText(Path.Combine(SeedModelsFolder(), "device-model.schema.json"));

        Assert.Equal(published, DeviceModelSchema.Text);
    }

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();
}
