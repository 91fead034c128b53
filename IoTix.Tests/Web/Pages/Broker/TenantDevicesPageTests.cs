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

/// <summary>The Devices and shadows page of a tenant's user: its own things under bare ids, shadows and methods in its namespace.</summary>
public sealed class TenantDevicesPageTests : IClassFixture<BrokerFixture>, IAsyncLifetime
{
    private const string Tenant = "pg-acme";
    private readonly BrokerInstance _broker;
    private readonly BunitContext _context = new();

    public TenantDevicesPageTests(BrokerFixture fixture)
    {
        _broker = fixture.Broker;
        _context.JSInterop.Mode = JSRuntimeMode.Loose;
        _context.Services.AddMudServices();
        ConsoleTestUser.SignIn(_context);
        _context.Services.AddSingleton(_broker.Services.GetRequiredService<IDeviceRegistry>());
        _context.Services.AddSingleton(_broker.Services.GetRequiredService<IShadowService>());
        _context.Services.AddSingleton(_broker.Services.GetRequiredService<IDirectMethods>());
        _context.Services.AddSingleton<ITenantContext>(new FixedTenant(Tenant));
        _context.Services.AddSingleton(TimeProvider.System);
        _context.Services.AddIoTixBrokerConsole();
        _context.Render<MudPopoverProvider>();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _context.DisposeAsync();

    [Fact]
    public async Task A_tenants_page_lists_only_its_devices_by_bare_id_and_reaches_their_shadow_and_methods()
    {
        var registry = _broker.Services.GetRequiredService<IDeviceRegistry>();
        Assert.True((await registry.CreateAsync(Tenants.Default, new DeviceRegistration("pgt-platform", null, null, new Dictionary<string, string>(), []))).Succeeded);
        Assert.True((await registry.CreateAsync(Tenant, new DeviceRegistration("pgt-lamp", "pgt-lamp-client", null, new Dictionary<string, string>(), []))).Succeeded);
        await _broker.Services.GetRequiredService<IShadowService>().UpdateAsync("tenants/pg-acme/pgt-lamp", ShadowTopicTests.Desired("""{"level":7}"""));
        using var device = await _broker.ConnectAsync("tenants/pg-acme/pgt-lamp-client");
        device.ApplicationMessageReceivedAsync += e => device.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic(e.ApplicationMessage.ResponseTopic).WithCorrelationData(e.ApplicationMessage.CorrelationData)
            .WithPayload("{\"lit\":true}").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        await device.SubscribeAsync("tenants/pg-acme/$iotix/things/pgt-lamp/methods/+", MqttQualityOfServiceLevel.AtLeastOnce);

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

    private static void Act(IRenderedComponent<BrokerDevices> page, Action action) => page.WaitForAssertion(action);

    private static AngleSharp.Dom.IElement Row(IRenderedComponent<BrokerDevices> page, string deviceId) =>
        page.FindAll("[data-testid=device-table] tbody tr").First(r => r.QuerySelector("code")?.TextContent == deviceId);

    private sealed class FixedTenant(string tenantId) : ITenantContext
    {
        public string TenantId { get; } = tenantId;
    }
}
