using IoTix.Core.Devices;

namespace IoTix.Tests.Core.Devices;

public sealed class DeviceLifecycleTests
{
    public static TheoryData<DeviceState, DeviceState> Legal => new()
    {
        { DeviceState.Created, DeviceState.Starting },
        { DeviceState.Starting, DeviceState.Running },
        { DeviceState.Starting, DeviceState.Failed },
        { DeviceState.Starting, DeviceState.Stopping },
        { DeviceState.Running, DeviceState.Stopping },
        { DeviceState.Running, DeviceState.Dropped },
        { DeviceState.Running, DeviceState.Failed },
        { DeviceState.Running, DeviceState.Reconnecting },
        { DeviceState.Stopping, DeviceState.Stopped },
        { DeviceState.Stopped, DeviceState.Starting },
        { DeviceState.Dropped, DeviceState.Reconnecting },
        { DeviceState.Dropped, DeviceState.Stopping },
        { DeviceState.Reconnecting, DeviceState.Running },
        { DeviceState.Reconnecting, DeviceState.Failed },
        { DeviceState.Reconnecting, DeviceState.Dropped },
        { DeviceState.Reconnecting, DeviceState.Stopping },
        { DeviceState.Failed, DeviceState.Starting },
        { DeviceState.Failed, DeviceState.Reconnecting },
        { DeviceState.Failed, DeviceState.Stopping },
    };

    [Theory]
    [MemberData(nameof(Legal))]
    public void Legal_transitions_succeed(DeviceState from, DeviceState to)
    {
        var result = DeviceLifecycle.Check(from, to);

        Assert.True(result.Succeeded);
        Assert.Null(result.Reason);
    }

    [Fact]
    public void Every_transition_outside_the_table_is_refused_with_a_reason()
    {
        var legal = Legal.Select(row => ((DeviceState)row[0], (DeviceState)row[1])).ToHashSet();
        int refused = 0;
        foreach (var from in Enum.GetValues<DeviceState>())
        {
            foreach (var to in Enum.GetValues<DeviceState>())
            {
                if (legal.Contains((from, to)))
                {
                    continue;
                }

                var result = DeviceLifecycle.Check(from, to);
                Assert.False(result.Succeeded);
                Assert.Contains($"illegal transition {DeviceLifecycle.Name(from)} -> {DeviceLifecycle.Name(to)}", result.Reason, StringComparison.Ordinal);
                refused++;
            }
        }

        Assert.Equal(64 - 19, refused);
    }

    [Fact]
    public void Created_cannot_jump_to_running()
    {
        var result = DeviceLifecycle.Check(DeviceState.Created, DeviceState.Running);

        Assert.False(result.Succeeded);
        Assert.Equal("illegal transition created -> running (allowed from created: starting)", result.Reason);
    }

    [Theory]
    [InlineData("running", DeviceState.Running)]
    [InlineData("Reconnecting", DeviceState.Reconnecting)]
    public void State_names_parse_case_insensitively(string name, DeviceState expected)
    {
        Assert.True(DeviceLifecycle.TryParseState(name, out var state));
        Assert.Equal(expected, state);
        Assert.False(DeviceLifecycle.TryParseState("sleeping", out _));
    }
}
