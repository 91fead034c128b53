using IoTix.Broker.History;
using IoTix.Web.History;

namespace IoTix.Tests.Broker.History;

public sealed class HistoryCursorTests
{
    [Fact]
    public void Cursor_text_round_trips_time_to_the_microsecond_and_id()
    {
        var cursor = new HistoryCursor(DateTimeOffset.Parse("2026-11-23T20:00:01.1203450Z", System.Globalization.CultureInfo.InvariantCulture), 4711);

        var parsed = HistoryCursor.TryParse(cursor.Format(), out var back);

        Assert.True(parsed);
        Assert.Equal(cursor, back);
    }

    [Theory]
    [InlineData("")]
    [InlineData("nonsense")]
    [InlineData("MTIzNA")] // "1234": no id
    [InlineData("LTEuMg")] // "-1.2": negative time
    public void Cursor_that_this_api_did_not_write_is_refused(string text) =>
        Assert.False(HistoryCursor.TryParse(text, out _));

    [Theory]
    [InlineData("a/b", "a/b", true)]
    [InlineData("a/b/#", "a/b", false)]
    [InlineData("a/+/c", "a", false)]
    [InlineData("#", "", false)]
    [InlineData("+/x", "", false)]
    public void Literal_prefix_of_a_filter_is_the_levels_before_its_first_wildcard(string filter, string prefix, bool exact) =>
        Assert.Equal((prefix, exact), CapturedMessageMapping.LiteralPrefix(filter));
}
