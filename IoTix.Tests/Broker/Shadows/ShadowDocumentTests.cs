using System.Text;
using IoTix.Broker.Shadows;

namespace IoTix.Tests.Broker.Shadows;

/// <summary>The shadow document rules without a broker: merge, delete by null, nested delta, request parsing.</summary>
public sealed class ShadowDocumentTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Delta_holds_only_desired_fields_that_differ_from_reported_including_nested_ones()
    {
        var state = new ShadowState();

        state.Apply(Parse("""{"state":{"desired":{"a":1,"b":{"c":2,"d":3},"e":"x"},"reported":{"a":1.0,"b":{"c":2,"d":4}}}}"""), Now);

        Assert.Equal("""{"b":{"d":3},"e":"x"}""", state.Delta().ToJsonString());
    }

    [Fact]
    public void Null_deletes_a_field_and_its_metadata_and_each_update_increments_the_version()
    {
        var state = new ShadowState();
        state.Apply(Parse("""{"state":{"desired":{"a":1,"b":2}}}"""), Now);

        state.Apply(Parse("""{"state":{"desired":{"a":null}}}"""), Now.AddSeconds(5));

        Assert.Equal("""{"b":2}""", state.Desired.ToJsonString());
        Assert.Equal("{\"b\":{\"timestamp\":" + Now.ToUnixTimeSeconds() + "}}", state.DesiredMetadata.ToJsonString());
        Assert.Equal(2, state.Version);
        Assert.Equal(Now.AddSeconds(5), state.UpdatedAt);
    }

    [Fact]
    public void Stored_form_round_trips_sections_metadata_and_version()
    {
        var state = new ShadowState();
        state.Apply(Parse("""{"state":{"desired":{"a":{"b":1}},"reported":{"c":true}}}"""), Now);

        var restored = ShadowState.FromStored(new StoredShadow("t", state.Version, state.UpdatedAt, state.ToStoredJson()));

        Assert.Equal(state.Desired.ToJsonString(), restored.Desired.ToJsonString());
        Assert.Equal(state.ReportedMetadata.ToJsonString(), restored.ReportedMetadata.ToJsonString());
        Assert.Equal(1, restored.Version);
    }

    [Theory]
    [InlineData("""[]""", "JSON object")]
    [InlineData("""{"state":{}}""", "'desired' and/or 'reported'")]
    [InlineData("""{"state":{"desired":1}}""", "'state.desired' must be an object or null")]
    [InlineData("""{"state":{"desired":{}},"clientToken":5}""", "'clientToken'")]
    public void Invalid_requests_are_refused_with_the_reason(string json, string expected)
    {
        var ok = ShadowUpdate.TryParse(Encoding.UTF8.GetBytes(json), out _, out var error);

        Assert.False(ok);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    private static ShadowUpdate Parse(string json)
    {
        Assert.True(ShadowUpdate.TryParse(Encoding.UTF8.GetBytes(json), out var update, out var error), error);
        return update;
    }
}
