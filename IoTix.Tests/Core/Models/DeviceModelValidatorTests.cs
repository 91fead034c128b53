using System.Text.Json.Nodes;
using IoTix.Core.Models;
using static IoTix.Tests.Core.Models.ModelTestSupport;

namespace IoTix.Tests.Core.Models;

/// <summary>The semantic rules beyond the schema: each fires on its mistake and stays quiet on the valid form.</summary>
public sealed class DeviceModelValidatorTests
{
    private static (string Path, string Message) SingleError(string json, DeviceModelValidator? validator = null, string? directory = null)
    {
        var result = (validator ?? Validator()).Validate(json, "m.json", directory);
        Assert.False(result.IsValid, "expected an error");
        Assert.Null(result.Model);
        var error = Assert.Single(result.Errors);
        return (error.Path, error.Message);
    }

    private static void AssertValid(string json, DeviceModelValidator? validator = null, string? directory = null)
    {
        var result = (validator ?? Validator()).Validate(json, "m.json", directory);
        Assert.True(result.IsValid, Describe(result));
    }

    [Fact]
    public void Unknown_generator_type_lists_the_known_ones()
    {
        var (path, message) = SingleError(Mutate(m => Generator(m, 0)["type"] = "walk"));

        Assert.Equal("$.telemetry[0].generator.type", path);
        Assert.Equal("unknown generator type 'walk' (known: random, sequence, constant, replay, custom)", message);
    }

    [Fact]
    public void Unknown_distribution_is_reported()
    {
        var (path, message) = SingleError(Mutate(m => Generator(m, 0)["distribution"] = "poisson"));

        Assert.Equal("$.telemetry[0].generator.distribution", path);
        Assert.Equal("unknown distribution 'poisson' (known: uniform, normal, exponential)", message);
    }

    [Fact]
    public void Unknown_distribution_and_inverted_range_are_both_reported_in_one_pass()
    {
        var json = Mutate(m =>
        {
            Generator(m, 0)["distribution"] = "gaussian";
            Generator(m, 0)["min"] = 10;
            Generator(m, 0)["max"] = 5;
        });

        var result = Validator().Validate(json, "m.json", null);

        Assert.Contains(result.Errors, e => e.Path == "$.telemetry[0].generator.distribution");
        Assert.Contains(result.Errors, e => e.Path.StartsWith("$.telemetry[0].generator.m", StringComparison.Ordinal) && e.Message.Contains("min", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("uniform")]
    [InlineData("normal")]
    [InlineData("exponential")]
    public void Known_distributions_are_accepted(string distribution) =>
        AssertValid(Mutate(m => Generator(m, 0)["distribution"] = distribution));

    [Fact]
    public void Unknown_generator_field_lists_the_allowed_fields()
    {
        var (path, message) = SingleError(Mutate(m => Generator(m, 0)["jitter"] = 0.1));

        Assert.Equal("$.telemetry[0].generator.jitter", path);
        Assert.StartsWith("unknown generator field 'jitter' (allowed: type, min, max, distribution,", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Field_of_another_generator_type_is_reported()
    {
        var (path, message) = SingleError(Mutate(m => Generator(m, 0)["step"] = 2));

        Assert.Equal("$.telemetry[0].generator.step", path);
        Assert.Equal("'step' does not apply to a random generator (it is a setting of sequence)", message);
    }

    [Fact]
    public void Min_greater_than_max_is_reported_at_min()
    {
        var (path, message) = SingleError(Mutate(m => Generator(m, 0)["min"] = 40));

        Assert.Equal("$.telemetry[0].generator.min", path);
        Assert.Equal("min (40) is greater than max (30)", message);
    }

    [Fact]
    public void Min_equal_to_max_is_accepted() =>
        AssertValid(Mutate(m =>
        {
            Generator(m, 0)["min"] = 20;
            Generator(m, 0)["max"] = 20;
        }));

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Stddev_not_positive_is_reported(double stddev)
    {
        var (path, message) = SingleError(Mutate(m => Generator(m, 0)["stddev"] = stddev));

        Assert.Equal("$.telemetry[0].generator.stddev", path);
        Assert.StartsWith("stddev must be greater than 0", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mean_outside_min_max_is_reported()
    {
        var (path, message) = SingleError(Mutate(m => Generator(m, 0)["mean"] = 50));

        Assert.Equal("$.telemetry[0].generator.mean", path);
        Assert.Equal("mean (50) lies outside min..max (10..30)", message);
    }

    [Fact]
    public void Uniform_random_without_a_range_is_reported()
    {
        var (path, message) = SingleError(Mutate(m => m["telemetry"]![0]!["generator"] = new JsonObject { ["type"] = "random" }));

        Assert.Equal("$.telemetry[0].generator", path);
        Assert.Equal("a uniform random generator needs 'min' and 'max'", message);
    }

    [Fact]
    public void Normal_random_with_mean_and_stddev_needs_no_range() =>
        AssertValid(Mutate(m => m["telemetry"]![0]!["generator"] = new JsonObject
        {
            ["type"] = "random", ["distribution"] = "normal", ["mean"] = 5, ["stddev"] = 1,
        }));

    [Fact]
    public void Sequence_step_zero_is_reported()
    {
        var (path, message) = SingleError(Mutate(m => Generator(m, 1)["step"] = 0));

        Assert.Equal("$.telemetry[1].generator.step", path);
        Assert.Equal("step must not be 0 (the value would never change)", message);
    }

    [Fact]
    public void Sequence_start_outside_min_max_is_reported()
    {
        var (path, message) = SingleError(Mutate(m => Generator(m, 1)["start"] = 101));

        Assert.Equal("$.telemetry[1].generator.start", path);
        Assert.Equal("start (101) lies outside min..max (0..100)", message);
    }

    [Fact]
    public void Sequence_wrap_without_bounds_is_reported()
    {
        var (path, _) = SingleError(Mutate(m => Generator(m, 1).Remove("max")));

        Assert.Equal("$.telemetry[1].generator.wrap", path);
    }

    [Fact]
    public void Sequence_counting_down_without_bounds_is_accepted() =>
        AssertValid(Mutate(m => m["telemetry"]![1]!["generator"] = new JsonObject { ["type"] = "sequence", ["start"] = 10, ["step"] = -0.5 }));

    [Fact]
    public void Constant_of_the_wrong_json_type_is_reported()
    {
        var (path, message) = SingleError(Mutate(m => Generator(m, 2)["value"] = 42));

        Assert.Equal("$.telemetry[2].generator.value", path);
        Assert.Equal("must be a string to match the item's type 'string' (found 42)", message);
    }

    [Fact]
    public void Integer_constant_must_be_whole()
    {
        var (path, message) = SingleError(Mutate(m =>
        {
            m["telemetry"]![2]!["type"] = "integer";
            Generator(m, 2)["value"] = 1.5;
        }));

        Assert.Equal("$.telemetry[2].generator.value", path);
        Assert.StartsWith("must be a whole number", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Boolean_constant_of_boolean_item_is_accepted() =>
        AssertValid(Mutate(m =>
        {
            m["telemetry"]![2]!["type"] = "boolean";
            Generator(m, 2)["value"] = true;
        }));

    [Fact]
    public void Constant_without_value_is_reported()
    {
        var (path, message) = SingleError(Mutate(m => Generator(m, 2).Remove("value")));

        Assert.Equal("$.telemetry[2].generator", path);
        Assert.Equal("a constant generator needs 'value'", message);
    }

    [Fact]
    public void Binary_item_with_a_non_custom_generator_is_reported()
    {
        var (path, message) = SingleError(Mutate(m => m["telemetry"]![0]!["type"] = "binary"));

        Assert.Equal("$.telemetry[0].generator.type", path);
        Assert.StartsWith("binary telemetry needs a custom generator", message, StringComparison.Ordinal);
    }

    [Fact]
    public void String_item_with_random_numbers_is_reported()
    {
        var (path, _) = SingleError(Mutate(m => m["telemetry"]![0]!["type"] = "string"));

        Assert.Equal("$.telemetry[0].generator.type", path);
    }

    [Fact]
    public void Interval_of_zero_is_reported()
    {
        var (path, message) = SingleError(Mutate(m => m["telemetry"]![0]!["intervalMs"] = 0));

        Assert.Equal("$.telemetry[0].intervalMs", path);
        Assert.Equal("must be at least 1 (found 0)", message);
    }

    // ---- replay ------------------------------------------------------------------------------

    [Fact]
    public void Replay_with_existing_file_and_column_is_accepted()
    {
        using var folder = new TempFolder();
        folder.Write("data/r.csv", "timestamp,value\n2024-01-01T00:00:00Z,1.5\n");

        AssertValid(ReplayModel("data/r.csv", "value"), directory: folder.Path);
    }

    [Fact]
    public void Replay_data_file_missing_is_reported_with_the_resolved_path()
    {
        using var folder = new TempFolder();

        var (path, message) = SingleError(ReplayModel("data/none.csv", "value"), directory: folder.Path);

        Assert.Equal("$.telemetry[0].generator.dataFile", path);
        Assert.Equal("data file not found: " + Path.Combine(folder.Path, "data", "none.csv"), message);
    }

    [Fact]
    public void Replay_column_not_in_header_lists_the_columns()
    {
        using var folder = new TempFolder();
        folder.Write("r.csv", "\"timestamp\",\"temp\"\n1,2\n");

        var (path, message) = SingleError(ReplayModel("r.csv", "value"), directory: folder.Path);

        Assert.Equal("$.telemetry[0].generator.column", path);
        Assert.Equal("column 'value' is not in the header of r.csv (columns: timestamp, temp)", message);
    }

    [Fact]
    public void Replay_without_a_model_folder_is_reported()
    {
        var (path, message) = SingleError(ReplayModel("r.csv", "value"), directory: null);

        Assert.Equal("$.telemetry[0].generator.dataFile", path);
        Assert.Equal("data files can only be used by models loaded from a file", message);
    }

    private static string ReplayModel(string dataFile, string column) => Mutate(m =>
        m["telemetry"]![0]!["generator"] = new JsonObject { ["type"] = "replay", ["dataFile"] = dataFile, ["column"] = column, ["loop"] = true });

    // ---- custom handlers and registered checks -------------------------------------------------

    private static string EcgModel(JsonNode? config) => Mutate(m => m["telemetry"]!.AsArray().Add(new JsonObject
    {
        ["name"] = "ecg", ["type"] = "binary", ["intervalMs"] = 400,
        ["generator"] = new JsonObject { ["type"] = "custom", ["handler"] = "ecg_generator", ["config"] = config },
    }));

    [Fact]
    public void Custom_handler_not_registered_is_reported()
    {
        var (path, message) = SingleError(EcgModel(new JsonObject { ["samples"] = 200 }));

        Assert.Equal("$.telemetry[3].generator.handler", path);
        Assert.Equal("no custom generator handler named 'ecg_generator' (none are registered)", message);
    }

    [Fact]
    public void Registered_custom_handler_is_accepted() =>
        AssertValid(EcgModel(new JsonObject { ["samples"] = 200 }), ValidatorWithEcg());

    [Fact]
    public void Registered_custom_handler_validation_messages_are_reported()
    {
        var (path, message) = SingleError(EcgModel(new JsonObject { ["samples"] = 0 }), ValidatorWithEcg());

        Assert.Equal("$.telemetry[3].generator", path);
        Assert.Equal("config.samples must be a positive whole number", message);
    }

    [Fact]
    public void Registered_model_checks_run_after_the_built_in_rules()
    {
        var validator = new DeviceModelValidator([new NoGatewaysCheck()], []);

        var (path, message) = SingleError(Mutate(m => m["type"] = "gateway"), validator);

        Assert.Equal("$.type", path);
        Assert.Equal("gateways are not allowed here", message);
    }

    private sealed class NoGatewaysCheck : IDeviceModelCheck
    {
        public void Check(DeviceModel model, ModelCheckContext context)
        {
            if (model.Type == DeviceType.Gateway)
            {
                context.Error("$.type", "gateways are not allowed here");
            }
        }
    }

    // ---- names, placeholders, references -----------------------------------------------------

    [Fact]
    public void Duplicate_telemetry_name_is_reported_at_the_second()
    {
        var (path, message) = SingleError(Mutate(m => m["telemetry"]![1]!["name"] = "temperature"));

        Assert.Equal("$.telemetry[1].name", path);
        Assert.Equal("duplicate telemetry item name 'temperature' (first defined at $.telemetry[0])", message);
    }

    [Fact]
    public void Duplicate_command_and_behaviour_names_are_reported()
    {
        var result = Validator().Validate(Mutate(m =>
        {
            m["commands"]!.AsArray().Add(new JsonObject { ["name"] = "setPower" });
            m["behaviors"]![1]!["name"] = "powerOnCommand";
        }));

        Assert.Contains(result.Errors, e => e.Path == "$.commands[1].name" && e.Message.StartsWith("duplicate command name", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.Path == "$.behaviors[1].name" && e.Message.StartsWith("duplicate behaviour name", StringComparison.Ordinal));
    }

    [Fact]
    public void Unknown_placeholder_lists_the_known_names()
    {
        var (path, message) = SingleError(Mutate(m => m["connection"]!["topicPattern"] = "devices/${device}/t"));

        Assert.Equal("$.connection.topicPattern", path);
        Assert.Equal("unknown placeholder '${device}' (known: deviceId, index, groupId, temperature, counter, status, power)", message);
    }

    [Fact]
    public void Unclosed_placeholder_is_reported()
    {
        var (path, message) = SingleError(Mutate(m => m["commands"]![0]!["topic"] = "cmd/${deviceId"));

        Assert.Equal("$.commands[0].topic", path);
        Assert.StartsWith("unclosed placeholder", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Telemetry_state_and_index_placeholders_are_accepted() =>
        AssertValid(Mutate(m => m["connection"]!["topicPattern"] = "g/${groupId}/${index}/${temperature}/${power}"));

    [Fact]
    public void Env_placeholder_is_accepted_in_credentials_only()
    {
        AssertValid(Mutate(m => m["connection"]!["credentials"] = new JsonObject { ["username"] = "${deviceId}", ["password"] = "${env:MQTT_PASSWORD}" }));

        var (path, message) = SingleError(Mutate(m => m["connection"]!["topicPattern"] = "t/${env:SECRET}"));

        Assert.Equal("$.connection.topicPattern", path);
        Assert.Contains("environment placeholders are allowed in credentials and headers only", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Client_id_shared_by_every_device_is_reported()
    {
        var (path, message) = SingleError(Mutate(m => m["connection"]!["clientIdPattern"] = "sensor"));

        Assert.Equal("$.connection.clientIdPattern", path);
        Assert.StartsWith("must contain ${deviceId} or ${index}", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_placeholder_in_a_payload_is_reported_at_its_path()
    {
        var (path, message) = SingleError(Mutate(m => m["behaviors"]![1]!["action"]!["payload"]!["p"] = "${power} ${missing}"));

        Assert.Equal("$.behaviors[1].action.payload.p", path);
        Assert.StartsWith("unknown placeholder '${missing}'", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Command_parameters_are_placeholders_of_behaviours_the_command_triggers_only()
    {
        static void AddLevel(JsonObject m) =>
            m["commands"]![0]!["parameters"]!.AsArray().Add(new JsonObject { ["name"] = "level", ["type"] = "integer", ["default"] = 3 });

        AssertValid(Mutate(m =>
        {
            AddLevel(m);
            m["behaviors"]![0]!["action"] = new JsonObject { ["type"] = "publish", ["payload"] = new JsonObject { ["l"] = "${level}" } };
        }));
        var (path, _) = SingleError(Mutate(m =>
        {
            AddLevel(m);
            m["behaviors"]![1]!["action"]!["payload"]!["l"] = "${level}";
        }));

        Assert.Equal("$.behaviors[1].action.payload.l", path);
    }

    [Fact]
    public void Parameter_default_of_the_wrong_type_is_reported()
    {
        var (path, message) = SingleError(Mutate(m =>
            m["commands"]![0]!["parameters"]!.AsArray().Add(new JsonObject { ["name"] = "level", ["type"] = "integer", ["default"] = "high" })));

        Assert.Equal("$.commands[0].parameters[1].default", path);
        Assert.StartsWith("must be a whole number to match the parameter's type 'integer'", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Command_trigger_naming_an_unknown_command_is_reported()
    {
        var (path, message) = SingleError(Mutate(m => m["behaviors"]![0]!["trigger"]!["command"] = "reboot"));

        Assert.Equal("$.behaviors[0].trigger.command", path);
        Assert.Equal("unknown command 'reboot' (commands: setPower)", message);
    }

    [Fact]
    public void SetState_on_an_unknown_state_variable_is_reported()
    {
        var (path, message) = SingleError(Mutate(m => m["behaviors"]![0]!["action"]!["target"] = "speed"));

        Assert.Equal("$.behaviors[0].action.target", path);
        Assert.Equal("unknown state variable 'speed' (state variables: power)", message);
    }

    [Fact]
    public void Unknown_action_type_is_reported()
    {
        var (path, message) = SingleError(Mutate(m => m["behaviors"]![1]!["action"]!["type"] = "explode"));

        Assert.Equal("$.behaviors[1].action.type", path);
        Assert.StartsWith("unknown action type 'explode' (known: publish, set, setState,", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Time_trigger_without_a_schedule_is_reported()
    {
        var (path, message) = SingleError(Mutate(m => m["behaviors"]![1]!["trigger"] = new JsonObject { ["type"] = "time" }));

        Assert.Equal("$.behaviors[1].trigger", path);
        Assert.Equal("a time trigger needs 'afterMs', 'everyMs' or 'cron'", message);
    }

    [Fact]
    public void State_variable_named_like_a_telemetry_item_is_reported()
    {
        var (path, _) = SingleError(Mutate(m => m["state"]!["temperature"] = 1));

        Assert.Equal("$.state.temperature", path);
    }

    // ---- protocols -------------------------------------------------------------------------

    [Fact]
    public void Mqtt_without_broker_is_accepted_because_the_host_supplies_one() =>
        AssertValid(Mutate(m => m["connection"]!.AsObject().Remove("broker")));

    [Theory]
    [InlineData("coap")]
    [InlineData("http")]
    public void Coap_and_http_need_a_url(string protocol)
    {
        var (path, message) = SingleError(Mutate(m => m["protocol"] = protocol));

        Assert.Equal("$.connection", path);
        Assert.EndsWith($" {protocol} device needs 'url'", message[..message.IndexOf(" (", StringComparison.Ordinal)], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("coap", "coap://localhost:5683/d/${deviceId}", true)]
    [InlineData("coap", "http://localhost/d", false)]
    [InlineData("http", "https://example.test/ingest/${deviceId}", true)]
    [InlineData("http", "not a url", false)]
    public void Url_scheme_must_match_the_protocol(string protocol, string url, bool valid)
    {
        var json = Mutate(m =>
        {
            m["protocol"] = protocol;
            m["connection"]!["url"] = url;
        });

        var result = Validator().Validate(json);

        Assert.Equal(valid, result.IsValid);
        if (!valid)
        {
            Assert.Equal("$.connection.url", Assert.Single(result.Errors).Path);
        }
    }

    [Fact]
    public void Will_delay_with_mqtt_3_is_reported()
    {
        var (path, _) = SingleError(Mutate(m =>
        {
            m["connection"]!["mqttVersion"] = "3.1.1";
            m["connection"]!["lastWill"] = new JsonObject { ["topic"] = "w/${deviceId}", ["delaySeconds"] = 5 };
        }));

        Assert.Equal("$.connection.lastWill.delaySeconds", path);
    }

    [Fact]
    public void User_properties_with_device_placeholders_and_environment_variables_are_valid()
    {
        var json = Mutate(m => m["connection"]!["userProperties"] = new JsonObject { ["device"] = "${deviceId}", ["slot"] = "${groupId}-${index}", ["token"] = "${env:SITE_TOKEN}", ["fixed"] = "v1" });

        var result = Validator().Validate(json);

        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.Equal("${deviceId}", result.Model!.Connection.UserProperties!["device"]);
    }

    [Theory]
    [InlineData("mqtt", "3.1.1", "${deviceId}", "$.connection.userProperties", "need MQTT 5")]
    [InlineData("mqtt", "5", "${temperature}", "$.connection.userProperties.p", "resolved once per device")]
    [InlineData("mqtt", "5", "${env:1BAD}", "$.connection.userProperties.p", "not a valid environment variable name")]
    [InlineData("mqtt", "5", "${deviceId", "$.connection.userProperties.p", "")]
    [InlineData("http", "5", "x", "$.connection.userProperties", "MQTT 5 devices only")]
    public void Invalid_user_properties_are_reported_at_their_path(string protocol, string version, string value, string expectedPath, string expectedText)
    {
        var (path, message) = SingleError(Mutate(m =>
        {
            m["protocol"] = protocol;
            if (protocol == "http")
            {
                m["connection"]!["url"] = "http://localhost:8080/t/${deviceId}";
            }

            m["connection"]!["mqttVersion"] = version;
            m["connection"]!["userProperties"] = new JsonObject { ["p"] = value };
        }));

        Assert.Equal(expectedPath, path);
        Assert.Contains(expectedText, message, StringComparison.Ordinal);
    }

    [Fact]
    public void Binary_payload_without_a_binary_item_is_reported()
    {
        var (path, _) = SingleError(Mutate(m => m["payload"] = new JsonObject { ["format"] = "binary" }));

        Assert.Equal("$.payload.format", path);
    }

    // ---- whole-file behaviour --------------------------------------------------------------

    [Fact]
    public void Every_semantic_error_of_a_file_is_reported()
    {
        var result = Validator().Validate(Mutate(m =>
        {
            Generator(m, 0)["min"] = 99;
            Generator(m, 1)["step"] = 0;
            m["connection"]!["topicPattern"] = "${nope}";
        }));

        Assert.Equal(3, result.Errors.Count);
    }

    [Fact]
    public void Model_from_code_is_validated_through_its_json_form()
    {
        var model = new DeviceModel
        {
            Id = "api-model", Name = "API", Type = DeviceType.Sensor, Protocol = DeviceProtocol.Http,
            Telemetry = [new TelemetryDefinition { Name = "t", Generator = new GeneratorDefinition { Type = "constant", Value = System.Text.Json.JsonDocument.Parse("1").RootElement } }],
        };

        var result = Validator().Validate(model);

        var error = Assert.Single(result.Errors);
        Assert.Equal("$.connection", error.Path);
        Assert.Null(error.File);
    }

    [Fact]
    public void Validate_file_reports_a_missing_file_as_an_error()
    {
        var result = Validator().ValidateFile(Path.Combine(Path.GetTempPath(), "no-such-model-" + Guid.NewGuid().ToString("N") + ".json"));

        var error = Assert.Single(result.Errors);
        Assert.StartsWith("cannot read the file", error.Message, StringComparison.Ordinal);
    }
}
