using IoTix.Broker.Rules;
using Microsoft.Extensions.Time.Testing;

namespace IoTix.Tests.Broker.Rules;

public sealed class RuleCompilerTests
{
    private static List<RuleFieldError> Compile(RuleDefinition rule)
    {
        var errors = new List<RuleFieldError>();
        RuleCompiler.Compile(rule, new FakeTimeProvider(), errors);
        return errors;
    }

    private static RuleDefinition Valid() => new()
    {
        Id = "r1",
        Name = "hot rooms",
        TopicFilters = ["sensors/+/temp"],
        Condition = "payload.temp > 30",
        Actions = [new RuleActionDefinition { Type = "webhook", Url = "http://127.0.0.1:9/hook" }],
    };

    [Fact]
    public void A_complete_rule_compiles_without_errors()
    {
        Assert.Empty(Compile(Valid()));
    }

    [Fact]
    public void Every_bad_field_is_named()
    {
        var rule = Valid();
        rule.Id = "bad id!";
        rule.Name = " ";
        rule.TopicFilters = ["ok/#", "a/#/b", "a+/b", ""];
        rule.Condition = "payload.temp >> 3";
        rule.Actions =
        [
            new RuleActionDefinition { Type = "email" },
            new RuleActionDefinition { Type = "republish", Url = "http://x", Qos = 3 },
            new RuleActionDefinition { Type = "webhook", Url = "ftp://x", Method = "GET", Retries = 11, Headers = new Dictionary<string, string> { ["Bad Name"] = "v" } },
            new RuleActionDefinition { Type = "influxdb", Url = "http://127.0.0.1:8086", Fields = new Dictionary<string, string> { ["t"] = "payload.temp +" } },
        ];

        var fields = Compile(rule).ConvertAll(e => e.Field);

        Assert.Equal(
            [
                "id", "name", "topicFilters[1]", "topicFilters[2]", "topicFilters[3]", "condition",
                "actions[0].type", "actions[1].url", "actions[1].topic", "actions[1].qos",
                "actions[2].url", "actions[2].method", "actions[2].headers.Bad Name", "actions[2].retries",
                "actions[3].database", "actions[3].measurement", "actions[3].fields.t",
            ],
            fields);
    }

    [Fact]
    public void An_unknown_action_type_lists_the_known_ones()
    {
        var rule = Valid();
        rule.Actions = [new RuleActionDefinition { Type = "email" }];

        var error = Assert.Single(Compile(rule));

        Assert.Equal("actions[0].type", error.Field);
        Assert.Contains("webhook, republish, database, influxdb", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_condition_syntax_error_reports_its_position()
    {
        var rule = Valid();
        rule.Condition = "payload.temp > 30 and";

        var error = Assert.Single(Compile(rule));

        Assert.Equal("condition", error.Field);
        Assert.StartsWith("syntax error at position 22:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_republish_topic_with_a_wildcard_is_refused()
    {
        var rule = Valid();
        rule.Actions = [new RuleActionDefinition { Type = "republish", Topic = "alerts/#" }];

        var error = Assert.Single(Compile(rule));

        Assert.Equal("actions[0].topic", error.Field);
    }

    [Fact]
    public void Influx_lines_escape_names_and_quote_strings()
    {
        var rule = Valid();
        rule.Actions =
        [
            new RuleActionDefinition
            {
                Type = "influxdb",
                Url = "http://127.0.0.1:8086",
                Database = "db",
                Measurement = "room temp",
                Tags = new Dictionary<string, string> { ["room"] = "topic[1]", ["empty"] = "payload.none" },
            },
        ];
        var errors = new List<RuleFieldError>();
        var compiled = RuleCompiler.Compile(rule, new FakeTimeProvider(), errors)!;
        using var message = new RuleMessage();
        message.Reset("sensors/hall,a=b/temp", new System.Buffers.ReadOnlySequence<byte>("""{"temp":21,"on":true,"label":"say \"hi\"","nested":{"x":1}}"""u8.ToArray()), "c", null, 0, false, 1234);

        var line = ((InfluxDbAction)compiled.Actions[0]).Render(message, out var error);

        Assert.Null(error);
        Assert.Equal("""room\ temp,room=hall\,a\=b temp=21,on=true,label="say \"hi\"" 1234""", line);
    }
}
