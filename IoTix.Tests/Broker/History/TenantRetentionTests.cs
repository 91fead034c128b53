using System.Net;
using IoTix.Tests.Shared;
using IoTix.Tests.Web.Api;
using IoTix.Web.Accounts;
using IoTix.Web.History;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace IoTix.Tests.Broker.History;

/// <summary>
/// History retention per tenant on a fake clock and a real PostgreSQL: the purge keeps a tenant's messages no longer
/// than min(installation retention, its own choice, its quota historyRetentionDays); a choice above the quota is refused.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class TenantRetentionTests(PostgresFixture postgres)
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-03-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public async Task Purge_removes_each_tenants_history_after_the_shortest_of_installation_retention_own_choice_and_quota()
    {
        await using var host = await StartAsync();
        await TenantBrokerHost.CreateTenantAsync(host, "brief", """, "historyRetentionDays": 1""");
        await TenantBrokerHost.CreateTenantAsync(host, "long");
        using var brief = await host.Factory.CreateClientForAsync(TenantRoles.Admin, "brief");
        using var longer = await host.Factory.CreateClientForAsync(TenantRoles.Admin, "long");
        using var installation = await host.Http.PutJsonAsync("/api/v1/settings", await WithRetentionAsync(host.Http, "7d"));
        using var ownChoice = await longer.PutJsonAsync("/api/v1/settings", """{"historyRetention": "12h"}""");
        await TenantBrokerHost.PublishAsync(host, ("tenants/brief/a", "b"), ("tenants/long/a", "l"), ("plain/a", "p"));
        var purge = host.Services.GetRequiredService<HistoryRetentionPurge>();

        _clock.Advance(TimeSpan.FromHours(13));
        await purge.PurgeOnceAsync(CancellationToken.None);
        var after13Hours = (await TenantBrokerHost.HistoryTopicsAsync(brief), await TenantBrokerHost.HistoryTopicsAsync(longer), await TenantBrokerHost.HistoryTopicsAsync(host.Http));
        _clock.Advance(TimeSpan.FromHours(12));
        await purge.PurgeOnceAsync(CancellationToken.None);
        var after25Hours = (await TenantBrokerHost.HistoryTopicsAsync(brief), await TenantBrokerHost.HistoryTopicsAsync(host.Http));

        Assert.Equal(HttpStatusCode.OK, installation.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ownChoice.StatusCode);
        Assert.Equal(["tenants/brief/a"], after13Hours.Item1);
        Assert.Empty(after13Hours.Item2);
        Assert.Equal(["plain/a"], after13Hours.Item3);
        Assert.Empty(after25Hours.Item1);
        Assert.Equal(["plain/a"], after25Hours.Item2);
        Assert.Equal("24h", (await brief.GetJsonAsync("/api/v1/history/status")).GetProperty("retention").GetString());
        Assert.Equal("12h", (await longer.GetJsonAsync("/api/v1/history/status")).GetProperty("retention").GetString());
        Assert.Equal("7d", (await host.Http.GetJsonAsync("/api/v1/history/status")).GetProperty("retention").GetString());
    }

    [Fact]
    public async Task A_retention_above_the_tenants_quota_is_refused_as_limitExceeded_naming_the_quota()
    {
        await using var host = await StartAsync();
        await TenantBrokerHost.CreateTenantAsync(host, "brief", """, "historyRetentionDays": 1""");
        using var brief = await host.Factory.CreateClientForAsync(TenantRoles.Admin, "brief");

        using var tooLong = await brief.PutJsonAsync("/api/v1/settings", """{"historyRetention": "48h"}""");
        using var within = await brief.PutJsonAsync("/api/v1/settings", """{"historyRetention": "24h"}""");

        var message = await tooLong.AssertFieldProblemAsync(HttpStatusCode.Conflict, "quota");
        Assert.Contains("at most 1 days (quota historyRetentionDays)", message, StringComparison.Ordinal);
        Assert.Equal("limitExceeded", (await tooLong.JsonAsync()).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.OK, within.StatusCode);
        Assert.Equal(1, (await brief.GetJsonAsync("/api/v1/settings")).GetProperty("historyRetentionQuotaDays").GetInt32());
    }

    [Fact]
    public async Task A_tenant_that_captures_a_lot_pushes_out_only_its_own_oldest_history_and_dead_letters()
    {
        using var acl = await AclFile.CreateAsync("""
            { "default": "allow", "rules": [
              { "permission": "deny", "action": "publish", "topic": "tenants/quiet/forbidden/#" },
              { "permission": "deny", "action": "publish", "topic": "tenants/noisy/forbidden/#" } ] }
            """);
        await using var host = await TenantBrokerHost.StartAsync(postgres, new() { ["Broker:History:MaxMessages"] = "3", ["Broker:DeadLetters:MaxMessages"] = "2", ["Broker:AclFile"] = acl.Path });
        await TenantBrokerHost.CreateTenantAsync(host, "quiet");
        await TenantBrokerHost.CreateTenantAsync(host, "noisy");
        using var quiet = await host.Factory.CreateClientForAsync(TenantRoles.Admin, "quiet");
        using var noisy = await host.Factory.CreateClientForAsync(TenantRoles.Admin, "noisy");
        var messages = new List<(string, string)> { ("tenants/quiet/a0", "q"), ("tenants/quiet/forbidden/q0", "q") };
        for (var i = 0; i < 6; i++)
        {
            messages.Add(($"tenants/noisy/a{i}", "n"));
            messages.Add(($"tenants/noisy/forbidden/n{i}", "n"));
        }

        await TenantBrokerHost.PublishAsync(host, [.. messages]);
        await host.Services.WaitForDeadLettersAsync();
        await host.Services.GetRequiredService<HistoryRetentionPurge>().PurgeOnceAsync(CancellationToken.None);

        Assert.Equal(["tenants/quiet/a0"], (await TenantBrokerHost.HistoryTopicsAsync(quiet)).Where(t => !t!.Contains("forbidden", StringComparison.Ordinal)));
        Assert.Equal(["tenants/noisy/a3", "tenants/noisy/a4", "tenants/noisy/a5"], (await TenantBrokerHost.HistoryTopicsAsync(noisy)).Where(t => !t!.Contains("forbidden", StringComparison.Ordinal)));
        Assert.Empty(await DeadLetterTopicsAsync(host.Http)); // each tenant's own, none stamped to the platform
        Assert.Equal(["tenants/quiet/forbidden/q0"], await DeadLetterTopicsAsync(quiet));
        Assert.Equal(["tenants/noisy/forbidden/n4", "tenants/noisy/forbidden/n5"], await DeadLetterTopicsAsync(noisy));
    }

    private static async Task<List<string?>> DeadLetterTopicsAsync(HttpClient client) =>
        [.. (await client.GetJsonAsync("/api/v1/dead-letters")).GetProperty("items").EnumerateArray().Select(d => d.GetProperty("message").GetProperty("topic").GetString()).Order(StringComparer.Ordinal)];

    private Task<ConsoleBrokerHost> StartAsync() =>
        TenantBrokerHost.StartAsync(postgres, new() { ["IoTix:Console:LiveMetrics:SampleIntervalMs"] = "60000" }, services => services.AddSingleton<TimeProvider>(_clock));

    /// <summary>The installation's settings as they are, with another retention (PUT replaces every setting).</summary>
    private static async Task<string> WithRetentionAsync(HttpClient platform, string retention)
    {
        var current = await platform.GetJsonAsync("/api/v1/settings");
        return $$"""{"historyRetention": "{{retention}}", "maxPayloadBytes": {{current.GetProperty("maxPayloadBytes").GetInt32()}}, "connectionRateLimitPerIpPerSecond": {{current.GetProperty("connectionRateLimitPerIpPerSecond").GetInt32()}}, "duplicateClientId": "{{current.GetProperty("duplicateClientId").GetString()}}"}""";
    }
}
