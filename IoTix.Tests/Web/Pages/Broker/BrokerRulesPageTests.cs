using Bunit;
using IoTix.Broker.Rules;
using IoTix.Tests.Shared;
using IoTix.Web.Components.Pages.Broker;
using IoTix.Web.Rules;
using IoTix.Web.Tenancy;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MudBlazor;
using MudBlazor.Services;

namespace IoTix.Tests.Web.Pages.Broker;

/// <summary>The Rules page rendered with bUnit on a real hosted broker's rules engine and database.</summary>
public sealed class BrokerRulesPageTests : IClassFixture<BrokerFixture>, IAsyncLifetime
{
    private readonly BrokerInstance _broker;
    private readonly BunitContext _context = new();

    public BrokerRulesPageTests(BrokerFixture fixture)
    {
        _broker = fixture.Broker;
        _context.JSInterop.Mode = JSRuntimeMode.Loose;
        _context.Services.AddMudServices();
        ConsoleTestUser.SignIn(_context);
        _context.Services.AddSingleton(_broker.Services.GetRequiredService<IRuleEngine>());
        _context.Services.AddSingleton(_broker.Services.GetRequiredService<IRuleRepository>());
        _context.Services.AddSingleton<ITenantContext>(new PrincipalTenantContext(new Microsoft.AspNetCore.Http.HttpContextAccessor())); // no request: the ambient (default) tenant
        _context.Services.AddScoped<RuleService>();
        _context.Services.AddSingleton(TimeProvider.System);
        _context.Services.AddIoTixBrokerConsole();
        _context.Render<MudPopoverProvider>();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _context.DisposeAsync();

    [Fact]
    public void Validation_errors_are_shown_at_their_fields_and_a_fixed_rule_is_saved_and_listed()
    {
        var page = _context.Render<BrokerRules>();
        page.Find("[data-testid=rule-new]").Click();
        page.Find("input[data-testid=rule-id]").Change("page-rule");
        page.Find("input[data-testid=rule-name]").Change("page rule");
        page.Find("textarea[data-testid=rule-filters]").Change("page/#\npage/a#");
        page.Find("input[data-testid=rule-condition]").Change("payload.value > ");
        page.Find("textarea[data-testid=rule-actions]").Change("""[{"type":"sms"}]""");

        page.Find("[data-testid=rule-save]").Click();
        var filtersField = page.Find("textarea[data-testid=rule-filters]").Closest(".mud-input-control")!.TextContent;
        var conditionField = page.Find("input[data-testid=rule-condition]").Closest(".mud-input-control")!.TextContent;
        var markup = page.Markup;
        page.Find("textarea[data-testid=rule-filters]").Change("page/#");
        page.Find("input[data-testid=rule-condition]").Change("payload.value > 5");
        page.Find("textarea[data-testid=rule-actions]").Change("""[{"type":"database"}]""");
        page.Find("[data-testid=rule-save]").Click();

        Assert.Contains("line 2: '#' must be a whole level", filtersField, StringComparison.Ordinal);
        Assert.Contains("syntax error at position 17", conditionField, StringComparison.Ordinal);
        Assert.Contains("actions[0].type: unknown action type 'sms'", markup, StringComparison.Ordinal);
        page.WaitForAssertion(() => Assert.Contains("page-rule", page.Find("[data-testid=rules-table]").TextContent, StringComparison.Ordinal));
        Assert.Contains("saved", page.Find("[data-testid=rules-message]").TextContent, StringComparison.Ordinal);
        Assert.NotNull(_broker.Services.GetRequiredService<IRuleEngine>().GetCounters("page-rule"));
    }

    [Fact]
    public void Malformed_actions_json_is_reported_at_the_actions_field()
    {
        var page = _context.Render<BrokerRules>();
        page.Find("[data-testid=rule-new]").Click();
        page.Find("textarea[data-testid=rule-actions]").Change("""[{"type":"database",}]""");

        page.Find("[data-testid=rule-save]").Click();

        Assert.Contains("Not a JSON array of actions (line 1", page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void The_test_panel_shows_what_the_actions_would_send()
    {
        var page = _context.Render<BrokerRules>();
        page.Find("[data-testid=rule-new]").Click();
        page.Find("input[data-testid=rule-name]").Change("preview");
        page.Find("textarea[data-testid=rule-filters]").Change("sensors/+/temperature");
        page.Find("input[data-testid=rule-condition]").Change("payload.value > 30");
        page.Find("textarea[data-testid=rule-actions]").Change("""[{"type":"republish","topic":"alerts/${topic[1]}","payload":"${payload.value}C"}]""");
        page.Find("input[data-testid=rule-sample-topic]").Change("sensors/hall/temperature");
        page.Find("textarea[data-testid=rule-sample-payload]").Change("""{"value": 31.5}""");

        page.Find("[data-testid=rule-run-test]").Click();

        Assert.Contains("the actions would run", page.Find("[data-testid=rule-test-result]").TextContent, StringComparison.Ordinal);
        var action = page.Find("[data-testid=rule-test-action]").TextContent;
        Assert.Contains("alerts/hall", action, StringComparison.Ordinal);
        Assert.Contains("31.5C", action, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_enabled_switch_stops_a_rule_and_counters_show_real_traffic()
    {
        var service = _context.Services.GetRequiredService<RuleService>();
        var created = await service.CreateAsync(new RuleDefinition
        {
            Id = "page-switch",
            Name = "switch",
            TopicFilters = ["switch/#"],
            Actions = [new RuleActionDefinition { Type = RuleActionTypes.Database }],
        });
        Assert.True(created.Succeeded);
        using var device = await _broker.ConnectAsync("page-switch-device");
        await device.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("switch/1").WithPayload("1").Build());
        var engine = _broker.Services.GetRequiredService<IRuleEngine>();
        await WaitUntilAsync(() => engine.GetCounters("page-switch")!.Matched == 1);

        var page = _context.Render<BrokerRules>();
        var row = RowOf(page, "page-switch");
        var matchedShown = row.QuerySelectorAll("td")[4].TextContent.Trim();
        row.QuerySelector("input[type=checkbox]")!.Change(false);

        page.WaitForAssertion(() => Assert.Contains("disabled", page.Find("[data-testid=rules-message]").TextContent, StringComparison.Ordinal));
        Assert.Equal("1", matchedShown);
        Assert.False(Assert.Single(engine.GetRules(), r => r.Definition.Id == "page-switch").Definition.Enabled);
        await device.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("switch/2").WithPayload("2").Build());
        await Task.Delay(200);
        Assert.Equal(1, engine.GetCounters("page-switch")!.Matched);
    }

    private static AngleSharp.Dom.IElement RowOf(IRenderedComponent<BrokerRules> page, string ruleId)
    {
        foreach (var row in page.FindAll("[data-testid=rules-table] tbody tr"))
        {
            if (row.TextContent.Contains(ruleId, StringComparison.Ordinal))
            {
                return row;
            }
        }

        throw new InvalidOperationException($"no row for {ruleId}");
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 30 s");
            await Task.Delay(20);
        }
    }
}
