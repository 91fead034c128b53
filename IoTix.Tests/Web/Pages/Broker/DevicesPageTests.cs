using System.Text;
using Bunit;
using IoTix.Broker.Methods;
using IoTix.Broker.Shadows;
using IoTix.Tests.Broker.Devices;
using IoTix.Tests.Shared;
using IoTix.Web.Components.Pages.Broker;
using IoTix.Web.Devices;
using IoTix.Web.Tenancy;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Protocol;
using MudBlazor;
using MudBlazor.Services;

namespace IoTix.Tests.Web.Pages.Broker;

/// <summary>The Devices and shadows page rendered with bUnit on the real hosted broker's registry, shadows and methods.</summary>
public sealed class DevicesPageTests : IClassFixture<BrokerFixture>, IAsyncLifetime
{
    private readonly BrokerInstance _broker;
    private readonly BunitContext _context = new();
    private readonly SwitchableTenant _tenant = new();

    public DevicesPageTests(BrokerFixture fixture)
    {
        _broker = fixture.Broker;
        _context.JSInterop.Mode = JSRuntimeMode.Loose;
        _context.Services.AddMudServices();
        ConsoleTestUser.SignIn(_context);
        _context.Services.AddSingleton(_broker.Services.GetRequiredService<IDeviceRegistry>());
        _context.Services.AddSingleton(_broker.Services.GetRequiredService<IShadowService>());
        _context.Services.AddSingleton(_broker.Services.GetRequiredService<IDirectMethods>());
        _context.Services.AddSingleton<ITenantContext>(_tenant); // the default tenant unless a test acts for another
        _context.Services.AddSingleton(TimeProvider.System);
        _context.Services.AddIoTixBrokerConsole();
        _context.Render<MudPopoverProvider>();
    }

    private IDeviceRegistry Registry => _broker.Services.GetRequiredService<IDeviceRegistry>();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _context.DisposeAsync();

    [Fact]
    public async Task Registry_table_shows_online_devices_with_a_green_chip_and_offline_ones_grey()
    {
        await Register("page-online", "page-online-client");
        await Register("page-offline", "page-offline-client");
        using var client = await _broker.ConnectAsync("page-online-client");
        await Eventually.GetAsync(() => Registry.LiveStatus(IoTix.Web.Tenancy.Tenants.Default, "page-online-client") is { Online: true } s ? s : null);

        var page = _context.Render<BrokerDevices>();

        page.WaitForAssertion(() => Assert.Contains("page-offline", page.Markup, StringComparison.Ordinal));
        var online = Row(page, "page-online").QuerySelector("[data-testid=status-chip]")!;
        var offline = Row(page, "page-offline").QuerySelector("[data-testid=status-chip]")!;
        Assert.Equal("online", online.TextContent.Trim());
        Assert.Contains("mud-chip-color-success", online.ClassName, StringComparison.Ordinal);
        Assert.Equal("offline", offline.TextContent.Trim());
        Assert.DoesNotContain("mud-chip-color-success", offline.ClassName, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Editing_desired_on_a_stale_version_shows_the_conflict_in_words_and_saves_after_reload()
    {
        await Register("page-shadow", null);
        var shadows = _broker.Services.GetRequiredService<IShadowService>();
        await shadows.UpdateAsync("page-shadow", ShadowTopicTests.Desired("""{"level":1}"""));
        var page = _context.Render<BrokerDevices>();
        page.WaitForAssertion(() => Assert.Contains("page-shadow", page.Markup, StringComparison.Ordinal));
        Act(page, () => Row(page, "page-shadow").Click());
        page.WaitForAssertion(() => Assert.Equal("version 1", page.Find("[data-testid=shadow-version]").TextContent.Trim()));
        Assert.Contains("\"level\": 1", page.Find("[data-testid=shadow-delta]").TextContent, StringComparison.Ordinal);

        await shadows.UpdateAsync("page-shadow", ShadowTopicTests.Desired("""{"level":2}"""));
        Act(page, () => page.Find("[data-testid=desired-editor] textarea").Change("{\"level\": 5}"));
        Act(page, () => page.Find("[data-testid=save-desired]").Click());

        page.WaitForAssertion(() => Assert.Contains("changed while you edited it", page.Find("[data-testid=devices-message]").TextContent, StringComparison.Ordinal));
        Assert.Contains("you edited version 1, it is at version 2 now", page.Find("[data-testid=devices-message]").TextContent, StringComparison.Ordinal);
        Act(page, () => page.Find("[data-testid=reload-desired]").Click());
        page.WaitForAssertion(() => Assert.Contains("2", page.Find("[data-testid=desired-editor] textarea").GetAttribute("value") ?? page.Find("[data-testid=desired-editor] textarea").TextContent, StringComparison.Ordinal));
        Act(page, () => page.Find("[data-testid=desired-editor] textarea").Change("{\"level\": 5}"));
        Act(page, () => page.Find("[data-testid=save-desired]").Click());
        page.WaitForAssertion(() => Assert.Contains("version 3", page.Find("[data-testid=devices-message]").TextContent, StringComparison.Ordinal));
        Assert.Equal(5, (await shadows.GetAsync("page-shadow"))!.Desired!.Value.GetProperty("level").GetInt32());
    }

    [Fact]
    public async Task Invoking_a_method_shows_the_device_status_and_payload_in_the_result_panel()
    {
        await Register("page-method", "page-method-client");
        using var device = await _broker.ConnectAsync("page-method-client");
        device.ApplicationMessageReceivedAsync += e => device.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic(e.ApplicationMessage.ResponseTopic).WithCorrelationData(e.ApplicationMessage.CorrelationData)
            .WithPayload("{\"uptime\":42}").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        await device.SubscribeAsync("$iotix/things/page-method/methods/+", MqttQualityOfServiceLevel.AtLeastOnce);
        var page = _context.Render<BrokerDevices>();
        page.WaitForAssertion(() => Assert.Contains("page-method", page.Markup, StringComparison.Ordinal));
        Act(page, () => Row(page, "page-method").Click());

        Act(page, () => page.Find("[data-testid=method-name] input").Change("uptime"));
        Act(page, () => page.Find("[data-testid=invoke]").Click());

        page.WaitForAssertion(() => Assert.Contains("Answered with status 200", page.Find("[data-testid=method-result]").TextContent, StringComparison.Ordinal), TimeSpan.FromSeconds(20));
        Assert.Contains("\"uptime\": 42", page.Find("[data-testid=method-result-payload]").TextContent, StringComparison.Ordinal);
    }

    private async Task Register(string deviceId, string? clientId)
    {
        var result = await Registry.CreateAsync(Tenants.Default, new DeviceRegistration(deviceId, clientId ?? deviceId, null, new Dictionary<string, string>(), ["page"]));
        Assert.True(result.Succeeded, result.Message);
    }

    [Fact]
    public async Task A_tenants_page_lists_only_its_devices_by_bare_id_and_reaches_their_shadow_and_methods()
    {
        const string tenant = "pg-acme";
        await Register("pgt-platform", null);
        Assert.True((await Registry.CreateAsync(tenant, new DeviceRegistration("pgt-lamp", "pgt-lamp-client", null, new Dictionary<string, string>(), []))).Succeeded);
        await _broker.Services.GetRequiredService<IShadowService>().UpdateAsync("tenants/pg-acme/pgt-lamp", ShadowTopicTests.Desired("""{"level":7}"""));
        using var device = await _broker.ConnectAsync("tenants/pg-acme/pgt-lamp-client", configure: TenantMqttUser.Of(_broker.Services, "pg-acme"));
        device.AnswerMethodsWith("{\"lit\":true}");
        await device.SubscribeAsync("tenants/pg-acme/$iotix/things/pgt-lamp/methods/+", MqttQualityOfServiceLevel.AtLeastOnce);
        _tenant.TenantId = tenant;

        var page = _context.Render<BrokerDevices>();
        page.WaitForAssertion(() => Assert.Contains("pgt-lamp-client", page.Markup, StringComparison.Ordinal));
        Act(page, () => Row(page, "pgt-lamp").Click());
        page.WaitForAssertion(() => Assert.Equal("version 1", page.Find("[data-testid=shadow-version]").TextContent.Trim()));
        Act(page, () => page.Find("[data-testid=method-name] input").Change("light"));
        Act(page, () => page.Find("[data-testid=invoke]").Click());

        page.WaitForAssertion(() => Assert.Contains("Answered with status 200", page.Find("[data-testid=method-result]").TextContent, StringComparison.Ordinal), TimeSpan.FromSeconds(20));
        Assert.DoesNotContain("pgt-platform", page.Markup, StringComparison.Ordinal);
        Assert.DoesNotContain("tenants/pg-acme", page.Markup, StringComparison.Ordinal);
        Assert.Contains("\"level\": 7", page.Find("[data-testid=shadow-delta]").TextContent, StringComparison.Ordinal);
    }

    /// <summary>Triggers an event, again when the page re-rendered in between (its two-second refresh replaces handlers).</summary>
    private static void Act(IRenderedComponent<BrokerDevices> page, Action action) => page.WaitForAssertion(action);

    private static AngleSharp.Dom.IElement Row(IRenderedComponent<BrokerDevices> page, string deviceId) =>
        page.FindAll("[data-testid=device-table] tbody tr").First(r => r.QuerySelector("code")?.TextContent == deviceId);

    /// <summary>The page's tenant: the default one, or another a test names before rendering.</summary>
    private sealed class SwitchableTenant : ITenantContext
    {
        public string TenantId { get; set; } = Tenants.Default;
    }
}
