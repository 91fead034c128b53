using System.Net;
using System.Text.Json;
using IoTix.Broker.Rules;
using TenantBrokerHost = IoTix.Tests.Broker.History.TenantBrokerHost;
using IoTix.Tests.Shared;
using IoTix.Tests.Web.Api;
using IoTix.Web.Accounts;
using IoTix.Web.Data;
using IoTix.Web.Rules;
using IoTix.Web.Tenancy;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Protocol;

namespace IoTix.Tests.Broker.Rules;

/// <summary>
/// A non-default tenant's rules are confined to its namespace <c>tenants/{t}/</c> (real host, hosted broker,
/// PostgreSQL): filters and republish topics outside are refused with the field named, a legal rule fires for its
/// namespace only, and a violating rule found in the database is not run.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class TenantRulesTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_tenants_rule_matching_everything_or_republishing_outside_its_namespace_is_refused_naming_the_field()
    {
        await using var host = await TenantBrokerHost.StartAsync(postgres);
        await TenantBrokerHost.CreateTenantAsync(host, "acme");
        using var acme = await host.Factory.CreateClientForAsync(TenantRoles.Admin, "acme");

        using var everything = await acme.PostJsonAsync("/api/v1/rules", """{"id": "acme-all", "name": "all", "topicFilters": ["#"], "actions": [{"type": "database"}]}""");
        using var otherTenant = await acme.PostJsonAsync("/api/v1/rules", """{"id": "acme-peek", "name": "peek", "topicFilters": ["tenants/acme/a/#", "tenants/+/a/#"], "actions": [{"type": "database"}]}""");
        using var outward = await acme.PostJsonAsync("/api/v1/rules", """{"id": "acme-out", "name": "out", "topicFilters": ["tenants/acme/a/#"], "actions": [{"type": "republish", "topic": "alerts/${topic[2]}"}]}""");

        Assert.Contains("topic filter must start with tenants/acme/", await everything.AssertFieldProblemAsync(HttpStatusCode.BadRequest, "topicFilters[0]"), StringComparison.Ordinal);
        Assert.Contains("must start with tenants/acme/", await otherTenant.AssertFieldProblemAsync(HttpStatusCode.BadRequest, "topicFilters[1]"), StringComparison.Ordinal);
        Assert.Contains("republish topic must start with tenants/acme/", await outward.AssertFieldProblemAsync(HttpStatusCode.BadRequest, "actions[0].topic"), StringComparison.Ordinal);
        Assert.Empty((await acme.GetJsonAsync("/api/v1/rules")).EnumerateArray());
    }

    [Fact]
    public async Task A_legal_tenant_rule_fires_only_for_messages_of_its_namespace()
    {
        await using var host = await TenantBrokerHost.StartAsync(postgres);
        await TenantBrokerHost.CreateTenantAsync(host, "acme");
        using var acme = await host.Factory.CreateClientForAsync(TenantRoles.Admin, "acme");
        using var created = await acme.PostJsonAsync("/api/v1/rules", """{"id": "acme-hot", "name": "hot", "topicFilters": ["tenants/acme/sensors/#"], "actions": [{"type": "republish", "topic": "tenants/acme/alerts/${topic[3]}"}]}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var watcher = await host.ConnectAsync("alert-watcher");
        var alerts = new MessageCollector(watcher);
        await watcher.SubscribeAsync("tenants/+/alerts/#", MqttQualityOfServiceLevel.AtLeastOnce);

        using (var publisher = await host.ConnectAsync("rule-publisher"))
        {
            await publisher.PublishStringAsync("tenants/beta/sensors/s1", "beta", MqttQualityOfServiceLevel.AtLeastOnce);
            await publisher.PublishStringAsync("sensors/s1", "platform", MqttQualityOfServiceLevel.AtLeastOnce);
            await publisher.PublishStringAsync("tenants/acme/sensors/s1", "acme", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        var received = await alerts.WaitForAsync(1, RulesHost.WaitTimeout);
        await acme.WaitForAsync("/api/v1/rules/engine", e => e.GetProperty("queueLength").GetInt64() == 0, "the rules queue to drain");
        var counters = (await acme.GetJsonAsync("/api/v1/rules/acme-hot")).GetProperty("counters");

        Assert.Equal("tenants/acme/alerts/s1", received[0].Topic);
        Assert.Equal("acme", received[0].ConvertPayloadToString());
        Assert.Equal(1, counters.GetProperty("matched").GetInt64());
        Assert.Single(alerts.Messages);
    }

    [Fact]
    public async Task A_tenant_rule_in_the_database_that_reaches_outside_its_namespace_is_not_run_after_a_restart()
    {
        var database = await postgres.CreateDatabaseAsync("iotix_rules_tenant");
        await using (var first = await TenantBrokerHost.StartAsync(postgres, connectionString: database))
        {
            await TenantBrokerHost.CreateTenantAsync(first, "acme");
            using var acme = await first.Factory.CreateClientForAsync(TenantRoles.Admin, "acme");
            using var legal = await acme.PostJsonAsync("/api/v1/rules", """{"id": "acme-legal", "name": "legal", "topicFilters": ["tenants/acme/#"], "actions": [{"type": "database"}]}""");
            Assert.Equal(HttpStatusCode.Created, legal.StatusCode);
            using var system = TenantScope.EnterSystem();
            await using var context = first.Services.GetRequiredService<IoTixDatabase>().CreateDbContext();
            context.Add(new RuleRecord { Id = "acme-smuggled", TenantId = "acme", Name = "smuggled", Enabled = true, TopicFilters = """["#"]""", Actions = """[{"type":"database"}]""" });
            await context.SaveChangesAsync();
        }

        await using var second = await TenantBrokerHost.StartAsync(postgres, connectionString: database);
        var engine = second.Services.GetRequiredService<IRuleEngine>();
        await Eventually.TrueAsync(() => engine.GetSnapshot().Loaded, "the rules to load");

        using var acmeAgain = await second.Factory.CreateClientForAsync(TenantRoles.Admin, "acme");
        using var enable = await acmeAgain.PostJsonAsync("/api/v1/rules/acme-smuggled/enable", "{}");

        Assert.Contains("must start with tenants/acme/", await enable.AssertFieldProblemAsync(HttpStatusCode.BadRequest, "topicFilters[0]"), StringComparison.Ordinal);
        var running = engine.GetRules().Select(r => r.Definition.Id).ToList();
        Assert.Contains("tenants/acme/acme-legal", running); // the engine keys a tenant's rule namespace + id
        Assert.DoesNotContain("tenants/acme/acme-smuggled", running);
        Assert.Equal("tenants/acme/", engine.GetRules().Single(r => r.Definition.Id == "tenants/acme/acme-legal").Definition.TopicNamespace);
    }

    [Fact]
    public async Task Two_tenants_may_both_have_rule_r1_and_each_sees_only_its_own_rule_events_and_counts()
    {
        await using var host = await TenantBrokerHost.StartAsync(postgres);
        await TenantBrokerHost.CreateTenantAsync(host, "acme");
        await TenantBrokerHost.CreateTenantAsync(host, "beta");
        using var acme = await host.Factory.CreateClientForAsync(TenantRoles.Admin, "acme");
        using var beta = await host.Factory.CreateClientForAsync(TenantRoles.Admin, "beta");
        var platform = host.Factory.CreateClient();

        using var acmeRule = await acme.PostJsonAsync("/api/v1/rules", """{"id": "r1", "name": "acme store", "topicFilters": ["tenants/acme/sensors/#"], "actions": [{"type": "database"}]}""");
        using var betaRule = await beta.PostJsonAsync("/api/v1/rules", """{"id": "r1", "name": "beta store", "topicFilters": ["tenants/beta/sensors/#"], "actions": [{"type": "database"}]}""");
        using var platformRule = await platform.PostJsonAsync("/api/v1/rules", """{"id": "r1", "name": "platform store", "topicFilters": ["sensors/#"], "actions": [{"type": "database"}]}""");
        Assert.Equal(HttpStatusCode.Created, acmeRule.StatusCode);
        Assert.Equal(HttpStatusCode.Created, betaRule.StatusCode);
        Assert.Equal(HttpStatusCode.Created, platformRule.StatusCode);

        using (var publisher = await host.ConnectAsync("rule-ids-publisher"))
        {
            await publisher.PublishStringAsync("tenants/acme/sensors/s1", "for acme", MqttQualityOfServiceLevel.AtLeastOnce);
            await publisher.PublishStringAsync("tenants/beta/sensors/s1", "for beta", MqttQualityOfServiceLevel.AtLeastOnce);
            await publisher.PublishStringAsync("tenants/beta/sensors/s2", "for beta too", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        await beta.WaitForAsync("/api/v1/rules/r1/events", e => e.GetArrayLength() == 2, "beta's two rule events");
        await acme.WaitForAsync("/api/v1/rules/r1/events", e => e.GetArrayLength() == 1, "acme's rule event");
        var acmeEvents = (await acme.GetJsonAsync("/api/v1/rules/r1/events")).ToString();
        var acmeView = await acme.GetJsonAsync("/api/v1/rules/r1");
        var betaView = await beta.GetJsonAsync("/api/v1/rules/r1");
        var acmeEngine = await acme.GetJsonAsync("/api/v1/rules/engine");
        var platformEngine = await platform.GetJsonAsync("/api/v1/rules/engine");
        using var betaDeletesR1 = await beta.DeleteAsync("/api/v1/rules/r1");

        Assert.Contains("for acme", acmeEvents, StringComparison.Ordinal);
        Assert.DoesNotContain("for beta", acmeEvents, StringComparison.Ordinal);
        Assert.Equal("r1", acmeView.GetProperty("id").GetString());
        Assert.Equal("acme store", acmeView.GetProperty("name").GetString());
        Assert.Equal(1, acmeView.GetProperty("counters").GetProperty("matched").GetInt64());
        Assert.Equal(2, betaView.GetProperty("counters").GetProperty("matched").GetInt64());
        Assert.Equal(1, acmeEngine.GetProperty("rules").GetInt32()); // its own rule only, not beta's or the platform's
        Assert.Equal(3, platformEngine.GetProperty("rules").GetInt32());
        Assert.Equal(HttpStatusCode.NoContent, betaDeletesR1.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await acme.GetAsync("/api/v1/rules/r1")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await platform.GetAsync("/api/v1/rules/r1")).StatusCode);
    }
}
