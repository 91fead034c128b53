using System.Net;
using System.Text.Json;
using IoTix.Tests.Shared;
using IoTix.Tests.Web.Api;
using Bunit;
using IoTix.Web.Accounts;
using IoTix.Web.Components.Pages.Broker;
using IoTix.Web.History;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Protocol;

namespace IoTix.Tests.Broker.History;

/// <summary>
/// History, replays and dead letters per tenant on the hosted broker and a real PostgreSQL: records belong to the
/// tenant of their topic's (or client id's) namespace, a tenant sees and acts on its own only (another's: 404), and
/// its replays and re-publishes stay inside <c>tenants/{t}/</c>.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class TenantBrokerDataTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Messages_belong_to_the_tenant_of_their_namespace_and_each_tenant_queries_only_its_own()
    {
        await using var host = await StartAsync();
        await TenantBrokerHost.CreateTenantAsync(host, "acme");
        await TenantBrokerHost.CreateTenantAsync(host, "beta");
        using var acme = await host.Factory.CreateClientForAsync(TenantRoles.Viewer, "acme");
        using var beta = await host.Factory.CreateClientForAsync(TenantRoles.Viewer, "beta");

        await TenantBrokerHost.PublishAsync(host, ("tenants/acme/sensors/1", "a1"), ("tenants/beta/sensors/1", "b1"), ("plain/sensors/1", "p1"), ("tenants/ghost/sensors/1", "g1"));

        Assert.Equal(["tenants/acme/sensors/1"], await TenantBrokerHost.HistoryTopicsAsync(acme));
        Assert.Equal(["tenants/beta/sensors/1"], await TenantBrokerHost.HistoryTopicsAsync(beta));
        Assert.Equal(["plain/sensors/1", "tenants/ghost/sensors/1"], await TenantBrokerHost.HistoryTopicsAsync(host.Http)); // an unknown namespace stays the default tenant's
    }

    [Fact]
    public async Task The_history_page_shows_the_signed_in_users_tenants_messages_only()
    {
        await using var host = await StartAsync();
        await TenantBrokerHost.CreateTenantAsync(host, "acme");
        await TenantBrokerHost.PublishAsync(host, ("tenants/acme/page/1", "mine"), ("plain/page/1", "platform"));
        await using var context = BrokerConsoleContext.Create(services => services.AddSingleton(host.Services.GetRequiredService<TenantMessageData>()), tenant: "acme");

        var page = context.Render<BrokerHistory>();

        page.WaitForAssertion(() => Assert.Contains("tenants/acme/page/1", page.Markup, StringComparison.Ordinal), HistoryTestSupport.Patience);
        Assert.DoesNotContain("plain/page/1", page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tenants_replay_stays_in_its_namespace_and_other_tenants_replays_are_not_found()
    {
        await using var host = await StartAsync();
        await TenantBrokerHost.CreateTenantAsync(host, "acme");
        using var acme = await host.Factory.CreateClientForAsync(TenantRoles.Operator, "acme");
        await TenantBrokerHost.PublishAsync(host, ("tenants/acme/line/1", "acme-1"), ("plain/line/1", "plain-1"));
        using var subscriber = await host.ConnectAsync("replay-watcher");
        var received = new MessageCollector(subscriber);
        await subscriber.SubscribeAsync("#", MqttQualityOfServiceLevel.AtLeastOnce);

        using var outside = await acme.PostJsonAsync("/api/v1/history/replays", """{"topic": "#", "pace": "fast", "targetTopic": "plain/stolen"}""");
        using var platformJob = await host.Http.PostJsonAsync("/api/v1/history/replays", """{"topic": "plain/#", "pace": "fast"}""");
        var platformId = (await platformJob.JsonAsync()).GetProperty("id").GetString();
        using var acmeJob = await acme.PostJsonAsync("/api/v1/history/replays", """{"topic": "#", "pace": "fast", "targetTopic": "tenants/acme/replayed"}""");
        var acmeId = (await acmeJob.JsonAsync()).GetProperty("id").GetString();
        var messages = await received.WaitForAsync(2, HistoryTestSupport.Patience);

        Assert.Contains("must start with tenants/acme/", await outside.AssertFieldProblemAsync(HttpStatusCode.BadRequest, "targetTopic"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Accepted, platformJob.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, acmeJob.StatusCode);
        Assert.Contains(messages, m => m.Topic == "tenants/acme/replayed" && m.ConvertPayloadToString() == "acme-1");
        Assert.Contains(messages, m => m.Topic == "plain/line/1" && m.ConvertPayloadToString() == "plain-1");
        Assert.DoesNotContain(messages, m => m.Topic == "tenants/acme/replayed" && m.ConvertPayloadToString() == "plain-1");
        Assert.Equal(HttpStatusCode.NotFound, (await acme.GetAsync($"/api/v1/history/replays/{platformId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await acme.PostJsonAsync($"/api/v1/history/replays/{platformId}/cancel", "{}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await host.Http.GetAsync($"/api/v1/history/replays/{acmeId}")).StatusCode);
        Assert.Equal([acmeId], (await acme.GetJsonAsync("/api/v1/history/replays")).EnumerateArray().Select(j => j.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Dead_letters_belong_to_the_tenant_of_their_topic_or_client_id_and_other_tenants_get_404()
    {
        using var acl = await AclFile.CreateAsync("""
            { "default": "allow", "rules": [
              { "permission": "deny", "action": "publish", "topic": "tenants/acme/forbidden/#" },
              { "permission": "deny", "action": "publish", "topic": "blocked/#" } ] }
            """);
        await using var host = await StartAsync(new() { ["Broker:AclFile"] = acl.Path });
        await TenantBrokerHost.CreateTenantAsync(host, "acme");
        await TenantBrokerHost.CreateTenantAsync(host, "beta");
        using var acme = await host.Factory.CreateClientForAsync(TenantRoles.Operator, "acme");
        using var beta = await host.Factory.CreateClientForAsync(TenantRoles.Operator, "beta");
        using (var device = await host.ConnectAsync("tenants/acme/device-1", TenantMqttUser.Of(host.Services, "acme")))
        {
            await device.PublishStringAsync("tenants/acme/forbidden/door", "by-topic", MqttQualityOfServiceLevel.AtLeastOnce);
            await device.PublishStringAsync("blocked/door", "by-client", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        using (var other = await host.ConnectAsync("plain-device"))
        {
            await other.PublishStringAsync("blocked/window", "platform", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        await host.Services.WaitForDeadLettersAsync();
        var acmeLetters = await DeadLettersAsync(acme);
        var byTopic = acmeLetters.Single(d => d.GetProperty("message").GetProperty("topic").GetString() == "tenants/acme/forbidden/door").GetProperty("id").GetInt64();
        var byClient = acmeLetters.Single(d => d.GetProperty("message").GetProperty("topic").GetString() == "blocked/door").GetProperty("id").GetInt64();
        using var watcher = await host.ConnectAsync("dlq-watcher");
        var received = new MessageCollector(watcher);
        await watcher.SubscribeAsync("tenants/acme/recovered/#", MqttQualityOfServiceLevel.AtLeastOnce);

        var betaGet = await beta.GetAsync($"/api/v1/dead-letters/{byTopic}");
        var betaDelete = await beta.DeleteAsync($"/api/v1/dead-letters/{byTopic}");
        var betaRepublish = await beta.PostJsonAsync($"/api/v1/dead-letters/{byTopic}/republish", "{}");
        var platformGet = await host.Http.GetAsync($"/api/v1/dead-letters/{byTopic}");
        using var ownTopicOutside = await acme.PostJsonAsync($"/api/v1/dead-letters/{byClient}/republish", "{}");
        using var targetOutside = await acme.PostJsonAsync($"/api/v1/dead-letters/{byTopic}/republish", """{"topic": "plain/recovered"}""");
        using var inside = await acme.PostJsonAsync($"/api/v1/dead-letters/{byTopic}/republish", """{"topic": "tenants/acme/recovered/door"}""");

        Assert.Equal(2, acmeLetters.Count);
        Assert.Empty(await DeadLettersAsync(beta));
        Assert.Equal(["blocked/window"], (await DeadLettersAsync(host.Http)).Select(d => d.GetProperty("message").GetProperty("topic").GetString()));
        Assert.All([betaGet, betaDelete, betaRepublish, platformGet], r => Assert.Equal(HttpStatusCode.NotFound, r.StatusCode));
        Assert.Contains("tenants/acme/", (await ownTopicOutside.AssertProblemAsync(HttpStatusCode.Conflict)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("must start with tenants/acme/", await targetOutside.AssertFieldProblemAsync(HttpStatusCode.BadRequest, "topic"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, inside.StatusCode);
        Assert.Equal("by-topic", (await received.WaitForAsync(1, HistoryTestSupport.Patience))[0].ConvertPayloadToString());
        Assert.Equal([byClient], (await DeadLettersAsync(acme)).Select(d => d.GetProperty("id").GetInt64()));
        await using var acmeConsole = BrokerConsoleContext.Create(services => services.AddSingleton(host.Services.GetRequiredService<TenantMessageData>()), tenant: "acme");
        await using var betaConsole = BrokerConsoleContext.Create(services => services.AddSingleton(host.Services.GetRequiredService<TenantMessageData>()), tenant: "beta");
        var acmePage = acmeConsole.Render<BrokerDeadLetters>();
        var betaPage = betaConsole.Render<BrokerDeadLetters>();
        acmePage.WaitForAssertion(() => Assert.Single(acmePage.FindAll("[data-testid=dlq-reason-chip]")), HistoryTestSupport.Patience);
        betaPage.WaitForAssertion(() => Assert.Contains("No dead letters.", betaPage.Markup, StringComparison.Ordinal), HistoryTestSupport.Patience);
        Assert.Contains("blocked/door", acmePage.Markup, StringComparison.Ordinal);
        Assert.DoesNotContain("blocked/window", acmePage.Markup, StringComparison.Ordinal);
    }

    private Task<ConsoleBrokerHost> StartAsync(Dictionary<string, string?>? settings = null) => TenantBrokerHost.StartAsync(postgres, settings);

    private static async Task<List<JsonElement>> DeadLettersAsync(HttpClient client) =>
        [.. (await client.GetJsonAsync("/api/v1/dead-letters")).GetProperty("items").EnumerateArray()];
}
