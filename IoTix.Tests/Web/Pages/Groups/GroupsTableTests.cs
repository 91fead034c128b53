using Bunit;
using IoTix.Core.Devices;
using IoTix.Web.Components.Pages.Groups;
using IoTix.Web.Simulations;
using MudBlazor;
using MudBlazor.Services;

namespace IoTix.Tests.Web.Pages.Groups;

/// <summary>The groups list: state counts as coloured chips, running progress.</summary>
public sealed class GroupsTableTests : IAsyncLifetime
{
    private readonly BunitContext _context = new();

    public GroupsTableTests()
    {
        _context.JSInterop.Mode = JSRuntimeMode.Loose;
        _context.Services.AddMudServices();
        _context.Render<MudPopoverProvider>();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _context.DisposeAsync();

    private static GroupView Group(string id, Dictionary<string, int> states, int running) => new(
        id, "temperature-sensor-v1", 10, "${groupId}-${index}", DateTimeOffset.UnixEpoch, running > 0, null,
        new GroupStats(id, "temperature-sensor-v1", 10, running, 1234, 0, 5678, states), null);

    [Fact]
    public void Each_group_shows_its_non_empty_states_as_coloured_chips_and_its_running_share()
    {
        var groups = new[]
        {
            Group("alpha", new() { ["running"] = 6, ["dropped"] = 1, ["failed"] = 3, ["created"] = 0 }, 6),
            Group("beta", new() { ["created"] = 10 }, 0),
        };

        var cut = _context.Render<GroupsTable>(p => p.Add(c => c.Groups, groups));

        var rows = cut.FindAll("tbody tr");
        Assert.Equal(2, rows.Count);
        var alpha = rows[0];
        Assert.Equal("running 6", alpha.QuerySelector("[data-testid=state-running]")!.TextContent.Trim());
        Assert.Equal("success", alpha.QuerySelector("[data-testid=state-running]")!.GetAttribute("data-color"));
        Assert.Equal("warning", alpha.QuerySelector("[data-testid=state-dropped]")!.GetAttribute("data-color"));
        Assert.Equal("error", alpha.QuerySelector("[data-testid=state-failed]")!.GetAttribute("data-color"));
        Assert.Null(alpha.QuerySelector("[data-testid=state-created]"));
        Assert.Contains("6 / 10 (60%)", alpha.TextContent, StringComparison.Ordinal);
        Assert.Equal("created 10", rows[1].QuerySelector("[data-testid=state-created]")!.TextContent.Trim());
        Assert.Contains("mud-chip-color-success", alpha.QuerySelector("[data-testid=state-running]")!.ClassName, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Row_actions_report_the_group_they_belong_to()
    {
        string? stopped = null;
        var cut = _context.Render<GroupsTable>(p => p
            .Add(c => c.Groups, [Group("alpha", new() { ["running"] = 10 }, 10)])
            .Add(c => c.OnStop, (string id) => stopped = id));

        await cut.InvokeAsync(() => cut.Find("button[aria-label=stop]").Click());

        Assert.Equal("alpha", stopped);
    }

    [Fact]
    public async Task A_group_on_an_older_model_revision_says_so_and_its_restart_action_reports_the_group()
    {
        string? restarted = null;
        var groups = new[]
        {
            Group("alpha", new() { ["running"] = 10 }, 10) with { ModelRevision = new ModelRevisionInfo("aaaa1111", "1.0.0", "bbbb2222") },
            Group("beta", new() { ["running"] = 10 }, 10) with { ModelRevision = new ModelRevisionInfo("bbbb2222", null, "bbbb2222") },
        };

        var cut = _context.Render<GroupsTable>(p => p
            .Add(c => c.Groups, groups)
            .Add(c => c.OnRestart, (string id) => restarted = id));
        var rows = cut.FindAll("tbody tr");

        Assert.Equal("rev 1.0.0 (aaaa1111)", rows[0].QuerySelector("[data-testid=model-revision]")!.TextContent.Trim());
        Assert.Equal("model changed: restart to apply", rows[0].QuerySelector("[data-testid=model-outdated]")!.TextContent.Trim());
        Assert.Equal("rev bbbb2222", rows[1].QuerySelector("[data-testid=model-revision]")!.TextContent.Trim());
        Assert.Null(rows[1].QuerySelector("[data-testid=model-outdated]"));
        await cut.InvokeAsync(() => cut.FindAll("button[aria-label=restart]")[0].Click());
        Assert.Equal("alpha", restarted);
    }
}
