using System.Buffers;
using System.Text;
using IoTix.Broker.Rules;

namespace IoTix.Tests.Broker.Rules;

public sealed class RuleExpressionTests : IDisposable
{
    private readonly RuleMessage _message = new();

    private RuleMessage Message(string topic, string payload, string? clientId = "dev-1")
    {
        _message.Reset(topic, new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(payload)), clientId, "alice", 1, false, 1_700_000_000_000);
        _message.RuleId = "r1";
        return _message;
    }

    private static RuleExpression Parse(string source)
    {
        Assert.True(RuleExpression.TryParse(source, out var expression, out var error), error?.ToString());
        return expression!;
    }

    [Theory]
    [InlineData("payload.temp > 30", true)]
    [InlineData("payload.temp >= 31.5 and payload.temp < 32", true)]
    [InlineData("payload.temp > 40 or payload.room == 'hall'", true)]
    [InlineData("not (payload.temp > 30)", false)]
    [InlineData("!payload.ok", false)]
    [InlineData("payload.temp * 2 + 1 == 64", true)]
    [InlineData("payload.temp % 2 = 1.5", true)]
    [InlineData("-payload.temp < 0 && payload.ok", true)]
    [InlineData("topic[1] == 'hall'", true)]
    [InlineData("topic[-1] = 'temp'", true)]
    [InlineData("topic[7] == null", true)]
    [InlineData("payload.missing == null", true)]
    [InlineData("payload.missing > 1", false)]
    [InlineData("payload.missing != 1", true)]
    [InlineData("payload.nested.values[1] == 20", true)]
    [InlineData("payload.nested.values[-1] == 30", true)]
    [InlineData("payload['odd key'] == 'x'", true)]
    [InlineData("payload.count == '42'", true)]
    [InlineData("payload.count > 9", true)]
    [InlineData("payload.room > 'garden'", true)]
    [InlineData("contains(payload.room, 'al') and startsWith(topic, 'sensors/') and endsWith(topic, 'temp')", true)]
    [InlineData("lower(upper(payload.room)) == 'hall' and len(payload.room) == 4 and len(payload.nested.values) == 3", true)]
    [InlineData("substr(topic, 0, 7) == 'sensors' and trim('  a ') == 'a'", true)]
    [InlineData("round(payload.temp) == 32 and floor(payload.temp) == 31 and ceil(payload.temp) == 32 and abs(-2) == 2", true)]
    [InlineData("min(3, payload.temp, 7) == 3 and max(3, payload.temp, 7) == 31.5", true)]
    [InlineData("exists(payload.temp) and not exists(payload.nope)", true)]
    [InlineData("matches(topic, 'sensors/+/temp') and not matches(topic, 'other/#')", true)]
    [InlineData("clientid == 'dev-1' and username == 'alice' and qos == 1 and retain == false", true)]
    [InlineData("coalesce(payload.nope, payload.room) == 'hall' and if(payload.ok, 1, 2) == 1", true)]
    [InlineData("number(payload.count) + 1 == 43 and string(payload.temp) == '31.5'", true)]
    [InlineData("concat(topic[0], '-', payload.room) == 'sensors-hall' and 'a' + 'b' == 'ab'", true)]
    [InlineData("payload.temp / 0 > 1", false)]
    [InlineData("TRUE AND NOT FALSE", true)]
    public void Evaluates_conditions_over_payload_fields_and_topic_levels(string condition, bool expected)
    {
        var message = Message("sensors/hall/temp", """{"temp":31.5,"room":"hall","ok":true,"count":"42","odd key":"x","nested":{"values":[10,20,30]}}""");

        var result = Parse(condition).IsTrue(message);

        Assert.Equal(expected, result);
    }

    [Fact]
    public void A_payload_that_is_not_json_is_text_and_its_fields_are_missing()
    {
        var message = Message("a/b", "hello world");

        Assert.True(Parse("contains(payload, 'world') and payload.x == null").IsTrue(message));
    }

    [Theory]
    [InlineData("payload.temp >", 15, "expected a value")]
    [InlineData("payload.temp > 3 and (topic == 'x'", 35, "expected ')'")]
    [InlineData("tmp > 3", 1, "unknown name 'tmp'")]
    [InlineData("lenn(topic) > 3", 1, "unknown function 'lenn'")]
    [InlineData("len(topic, 1) > 3", 1, "len takes 1 argument(s), got 2")]
    [InlineData("topic == 'abc", 10, "unterminated string")]
    [InlineData("topic[x] == 'a'", 7, "topic[0] is the first level")]
    [InlineData("payload.temp > 3 3", 18, "unexpected '3'")]
    [InlineData("", 1, "expected an expression")]
    public void Syntax_errors_name_the_position_and_the_problem(string source, int position, string message)
    {
        var parsed = RuleExpression.TryParse(source, out _, out var error);

        Assert.False(parsed);
        Assert.Equal(position, error!.Position + 1);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.StartsWith($"at position {position}:", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Templates_render_fields_topic_levels_arithmetic_and_json()
    {
        var message = Message("sensors/hall/temp", """{"temp":21,"room":"hall \"A\"","tags":["a","b"]}""");
        Assert.True(RuleTemplate.TryParse("""{"f": ${payload.temp * 2 + 32}, "room": ${json(payload.room)}, "level": "${topic[1]}", "tags": ${payload.tags}, "at": "${iso(timestamp)}", "by": "${clientid}", "rule": "${rule}", "none": "${payload.none}", "lit": "$${x}"}""", out var template, out var error), error?.ToString());

        var rendered = template!.Render(message);

        Assert.Equal("""{"f": 74, "room": "hall \"A\"", "level": "hall", "tags": ["a","b"], "at": "2023-11-14T22:13:20.000Z", "by": "dev-1", "rule": "r1", "none": "", "lit": "${x}"}""", rendered);
    }

    [Fact]
    public void A_template_part_without_a_closing_brace_is_an_error_at_its_start()
    {
        var parsed = RuleTemplate.TryParse("alerts/${topic[1]", out _, out var error);

        Assert.False(parsed);
        Assert.Equal(7, error!.Position);
    }

    public void Dispose() => _message.Dispose();
}
