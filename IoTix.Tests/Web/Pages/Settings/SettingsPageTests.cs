using Bunit;
using IoTix.Broker;
using IoTix.Broker.Admin;
using IoTix.Tests.Shared;
using IoTix.Web.Audit;
using IoTix.Web.Components.Pages.Settings;
using IoTix.Web.Simulations;
using IoTix.Web.Tenancy;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MudBlazor;
using MudBlazor.Services;

namespace IoTix.Tests.Web.Pages.Settings;

/// <summary>The Settings page on the real host's settings store (SQLite) and broker runtime settings.</summary>
public sealed class SettingsPageTests : IAsyncLifetime
{
    private readonly IoTixWebFactory _factory = new();
    private readonly BunitContext _context = new();

    public Task InitializeAsync()
    {
        _ = _factory.Services; // builds and starts the host (migrates the database)
        Prepare(_context, _factory, Tenants.Default);
        return Task.CompletedTask;
    }

    /// <summary>The page's services from the host, signed in as an Owner of <paramref name="tenant"/>.</summary>
    private static void Prepare(BunitContext context, IoTixWebFactory factory, string tenant)
    {
        context.JSInterop.Mode = JSRuntimeMode.Loose;
        context.Services.AddMudServices();
        context.Services.AddSingleton(factory.Services.GetRequiredService<ISettingsStore>());
        context.Services.AddSingleton(factory.Services.GetRequiredService<IBrokerRuntimeSettings>());
        context.Services.AddSingleton(factory.Services.GetRequiredService<TenantDirectory>());
        context.Services.AddSingleton<ConsoleSettingsService>();
        context.Services.AddTransient<SettingsViewModel>();
        ConsoleTestUser.SignInWithAudit(context, factory.Services, tenant);
        context.Render<MudPopoverProvider>();
    }

    public async Task DisposeAsync()
    {
        await _context.DisposeAsync();
        await _factory.DisposeAsync();
    }

    [Fact]
    public void Invalid_values_show_messages_in_words_and_disable_save()
    {
        var page = _context.Render<SettingsPage>();

        page.Find("input[data-testid=payload]").Input("0");
        page.Find("input[data-testid=rate]").Input("-5");

        page.WaitForAssertion(() => Assert.Contains("at least 1 byte", page.Markup, StringComparison.Ordinal));
        Assert.Contains("cannot be negative; use 0 to turn it off", page.Markup, StringComparison.Ordinal);
        Assert.True(page.Find("[data-testid=settings-save]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task Saving_persists_every_setting_and_applies_the_rate_and_the_payload_limit_now()
    {
        var runtime = _factory.Services.GetRequiredService<IBrokerRuntimeSettings>();
        var store = _factory.Services.GetRequiredService<ISettingsStore>();
        var page = _context.Render<SettingsPage>();
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=settings-progress]")));

        page.Find("input[data-testid=payload]").Input("1024");
        page.Find("input[data-testid=rate]").Input("7");
        page.Find("[data-testid=settings-save]").Click();

        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=settings-saved]")));
        var saved = page.Find("[data-testid=settings-saved]").TextContent;
        Assert.Contains("In effect now: connection rate limit, payload limit", saved, StringComparison.Ordinal);
        Assert.DoesNotContain("At the next start", saved, StringComparison.Ordinal);
        Assert.Empty(page.FindAll("[data-testid=settings-restart]"));
        Assert.Equal(7, runtime.Active.ConnectionRatePerIpPerSecond);
        Assert.Equal(1024, runtime.Active.MaxPayloadBytes);
        Assert.Equal("1024", await store.GetAsync(ConsoleSettingKeys.MaxPayloadBytesKey));
        Assert.Equal("7", await store.GetAsync(ConsoleSettingKeys.ConnectionRatePerIpPerSecondKey));
        Assert.Equal("24h", await store.GetAsync(ConsoleSettingKeys.HistoryRetentionKey));
        Assert.Equal("takeover", await store.GetAsync(ConsoleSettingKeys.DuplicateClientIdKey));
    }

    [Fact]
    public async Task A_tenant_user_sees_the_broker_settings_read_only_and_saving_stores_only_its_own_retention()
    {
        await _factory.Services.GetRequiredService<TenantDirectory>().TryAddAsync(new TenantRecord { Id = "acme", Name = "Acme", HistoryRetentionDays = 1 });
        var runtime = _factory.Services.GetRequiredService<IBrokerRuntimeSettings>();
        var before = runtime.Requested;
        await using var context = new BunitContext();
        Prepare(context, _factory, "acme");
        var page = context.Render<SettingsPage>();
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=settings-progress]")));

        page.Find("[data-testid=settings-save]").Click();

        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=settings-saved]")));
        Assert.Contains("at most 1 days, its quota", page.Find("[data-testid=settings-installation-readonly]").TextContent, StringComparison.Ordinal);
        Assert.True(page.Find("input[data-testid=payload]").HasAttribute("readonly"));
        Assert.True(page.Find("input[data-testid=rate]").HasAttribute("readonly"));
        Assert.Contains("In effect now: history retention", page.Find("[data-testid=settings-saved]").TextContent, StringComparison.Ordinal);
        Assert.Equal(before, runtime.Requested);
        Assert.Null(await _factory.Services.GetRequiredService<ISettingsStore>().GetAsync(ConsoleSettingKeys.HistoryRetentionKey));
    }

    [Fact]
    public async Task Saving_from_the_page_writes_exactly_one_console_audit_entry_naming_the_user_and_tenant()
    {
        var page = _context.Render<SettingsPage>();
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=settings-progress]")));

        page.Find("input[data-testid=rate]").Input("9");
        page.Find("[data-testid=settings-save]").Click();
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=settings-saved]")));

        var entries = await _factory.Services.GetRequiredService<IAuditLog>().QueryAsync(new AuditQuery(Action: "settings"));
        var entry = Assert.Single(entries);
        Assert.Equal("console.settings.save", entry.Action);
        Assert.Equal(ConsoleTestUser.Name, entry.Actor);
        Assert.Equal(Tenants.Default, entry.TenantId);
        Assert.Equal(AuditOutcomes.Success, entry.Outcome);
    }

    [Fact]
    public async Task Stored_settings_replace_the_configured_broker_settings_at_the_next_start()
    {
        var folder = Directory.CreateTempSubdirectory("iotix-settings-restart-").FullName;
        try
        {
            await using (var first = new IoTixWebFactory { DataFolder = folder })
            {
                var service = new ConsoleSettingsService(first.Services.GetRequiredService<ISettingsStore>(), first.Services.GetRequiredService<IBrokerRuntimeSettings>());
                var result = await service.SaveAsync(new ConsoleSettingsValues(HistoryRetention.Days7, 2048, 11, DuplicateClientIdPolicy.Reject));
                Assert.True(result.Succeeded, string.Join("; ", result.Errors));
            }

            await using var second = new IoTixWebFactory { DataFolder = folder };
            var options = second.Services.GetRequiredService<IOptions<BrokerOptions>>().Value;
            var loaded = await new ConsoleSettingsService(second.Services.GetRequiredService<ISettingsStore>(), second.Services.GetRequiredService<IBrokerRuntimeSettings>()).LoadAsync();

            Assert.Equal(2048, options.MaxPayloadBytes);
            Assert.Equal(11, options.ConnectionRateLimit.PerIpPerSecond);
            Assert.Equal(DuplicateClientIdPolicy.Reject, options.DuplicateClientId);
            Assert.Equal(new ConsoleSettingsValues(HistoryRetention.Days7, 2048, 11, DuplicateClientIdPolicy.Reject), loaded);
        }
        finally
        {
            BrokerInstance.DeleteFolder(folder);
        }
    }

    [Fact]
    public void Retention_options_are_the_four_of_the_specification_with_24_hours_by_default()
    {
        var parsed = new[] { "12h", "24h", "48h", "7d" }.Select(t => (ConsoleSettingKeys.TryParseRetention(t, out var r), r)).ToList();
        var invalid = ConsoleSettingKeys.TryParseRetention("3d", out var fallback);

        Assert.All(parsed, p => Assert.True(p.Item1));
        Assert.Equal([TimeSpan.FromHours(12), TimeSpan.FromHours(24), TimeSpan.FromHours(48), TimeSpan.FromDays(7)], parsed.Select(p => ConsoleSettingKeys.Duration(p.r)));
        Assert.False(invalid);
        Assert.Equal(HistoryRetention.Hours24, fallback);
    }
}
