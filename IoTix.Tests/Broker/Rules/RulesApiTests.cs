using System.Net;
using System.Text;
using System.Text.Json;
using IoTix.Tests.Shared;
using MQTTnet;
using IoTix.Web.Tenancy;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace IoTix.Tests.Broker.Rules;

/// <summary>Rules over <c>/api/v1/rules</c>: validation naming the bad field, dry runs, restart, tenancy.</summary>
public sealed class RulesApiTests(RulesHostFixture fixture) : IClassFixture<RulesHostFixture>
{
    private readonly RulesHost _host = fixture.Host;

    private static async Task<JsonElement> ErrorsOf(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").Clone();
    }

    [Fact]
    public async Task Bad_rule_input_answers_400_naming_each_bad_field()
    {
        using var response = await _host.Api.PostAsync("/api/v1/rules", RulesHost.Json("""
            {"name":"bad","topicFilters":["a/#/b"],"condition":"payload.t > 3 and","actions":[{"type":"sms"},{"type":"webhook"}]}
            """));

        var errors = await ErrorsOf(response);

        Assert.Contains("'#' must be a whole level", errors.GetProperty("topicFilters[0]")[0].GetString(), StringComparison.Ordinal);
        Assert.StartsWith("syntax error at position 18:", errors.GetProperty("condition")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("unknown action type 'sms'", errors.GetProperty("actions[0].type")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("is required", errors.GetProperty("actions[1].url")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_json_field_is_named_not_ignored()
    {
        using var response = await _host.Api.PostAsync("/api/v1/rules", RulesHost.Json("""{"name":"x","topicFilter":["a"],"actions":[]}"""));

        var errors = await ErrorsOf(response);

        Assert.True(errors.TryGetProperty("topicFilter", out _), errors.ToString());
    }

    [Fact]
    public async Task A_duplicate_id_is_a_conflict_and_a_missing_rule_is_not_found()
    {
        var rule = new { id = "dup", name = "dup", topicFilters = new[] { "dup/#" }, actions = new object[] { new { type = "database" } } };
        await _host.CreateRuleAsync(rule);

        using var again = await _host.Api.PostAsync("/api/v1/rules", RulesHost.Json(JsonSerializer.Serialize(rule)));
        using var missing = await _host.Api.GetAsync("/api/v1/rules/nope");
        using var mismatched = await _host.Api.PutAsync("/api/v1/rules/dup", RulesHost.Json("""{"id":"other","name":"x","topicFilters":["a"],"actions":[{"type":"database"}]}"""));

        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.True((await ErrorsOf(mismatched)).TryGetProperty("id", out _));
    }

    [Fact]
    public async Task A_created_rule_gets_an_id_and_can_be_replaced_and_deleted()
    {
        var created = await _host.CreateRuleAsync(new { name = "generated", topicFilters = new[] { "gen/#" }, actions = new object[] { new { type = "database" } } });
        var id = created.GetProperty("id").GetString()!;

        using var put = await _host.Api.PutAsync($"/api/v1/rules/{id}", RulesHost.Json("""{"name":"renamed","topicFilters":["gen2/#"],"condition":"qos > 0","actions":[{"type":"database"}]}"""));
        var replaced = JsonDocument.Parse(await put.Content.ReadAsStringAsync()).RootElement;
        using var delete = await _host.Api.DeleteAsync($"/api/v1/rules/{id}");
        using var after = await _host.Api.GetAsync($"/api/v1/rules/{id}");

        Assert.Matches("^rule-[0-9a-f]{8}$", id);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal("renamed", replaced.GetProperty("name").GetString());
        Assert.Equal("qos > 0", replaced.GetProperty("condition").GetString());
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, after.StatusCode);
    }

    [Fact]
    public async Task A_dry_run_shows_what_each_action_would_send_without_sending()
    {
        using var response = await _host.Api.PostAsync("/api/v1/rules/test", RulesHost.Json("""
            {
              "rule": {"name":"t","topicFilters":["dry/+/temp"],"condition":"payload.temp > 30",
                       "actions":[{"type":"webhook","url":"http://127.0.0.1:9/h/${topic[1]}","body":"{\"t\":${payload.temp}}"},
                                  {"type":"republish","topic":"alerts/${topic[1]}"},
                                  {"type":"influxdb","url":"http://127.0.0.1:9","database":"d","measurement":"m"}]},
              "topic": "dry/hall/temp",
              "payload": {"temp": 31},
              "clientId": "sample"
            }
            """));
        var result = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(result.GetProperty("topicMatched").GetBoolean());
        Assert.True(result.GetProperty("conditionPassed").GetBoolean());
        Assert.True(result.GetProperty("wouldRun").GetBoolean());
        var actions = result.GetProperty("actions");
        Assert.Equal("POST http://127.0.0.1:9/h/hall", actions[0].GetProperty("target").GetString());
        Assert.Equal("""{"t":31}""", actions[0].GetProperty("body").GetString());
        Assert.StartsWith("alerts/hall (QoS 0", actions[1].GetProperty("target").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("m temp=31 ", actions[2].GetProperty("body").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dry_run_of_an_invalid_rule_names_the_field_under_rule()
    {
        using var response = await _host.Api.PostAsync("/api/v1/rules/test", RulesHost.Json("""
            {"rule":{"name":"t","topicFilters":["a"],"condition":"payload.x ==","actions":[{"type":"database"}]},"topic":"a","payload":"1"}
            """));

        var errors = await ErrorsOf(response);

        Assert.True(errors.TryGetProperty("rule.condition", out _), errors.ToString());
    }

    [Fact]
    public async Task Rules_survive_a_restart_and_run_again()
    {
        var folder = Directory.CreateTempSubdirectory("iotix-rules-restart-").FullName;
        try
        {
            await using (var first = RulesHost.Start(folder))
            {
                await first.CreateRuleAsync(new { id = "kept", name = "kept", topicFilters = new[] { "kept/in" }, actions = new object[] { new { type = "republish", topic = "kept/out" } } });
            }

            await using var second = RulesHost.Start(folder);
            var listed = JsonDocument.Parse(await second.Api.GetStringAsync("/api/v1/rules")).RootElement;
            using var subscriber = await second.ConnectAsync("sub-kept");
            var collector = new MessageCollector(subscriber);
            await subscriber.SubscribeAsync("kept/out");
            using var device = await second.ConnectAsync("dev-kept");
            await RulesHost.PublishAsync(device, "kept/in", "again");
            var copies = await collector.WaitForAsync(1, RulesHost.WaitTimeout);

            Assert.Equal("kept", Assert.Single(listed.EnumerateArray()).GetProperty("id").GetString());
            Assert.Equal("again", Encoding.UTF8.GetString(Assert.Single(copies).Payload));
        }
        finally
        {
            BrokerInstance.DeleteFolder(folder);
        }
    }

    [Fact]
    public async Task A_rule_of_another_tenant_answers_not_found()
    {
        var folder = Directory.CreateTempSubdirectory("iotix-rules-tenant-").FullName;
        try
        {
            await using (var owner = RulesHost.Start(folder))
            {
                await owner.CreateRuleAsync(new { id = "mine", name = "mine", topicFilters = new[] { "mine/#" }, actions = new object[] { new { type = "database" } } });
            }

            await using var other = RulesHost.Start(folder, testServices: static services =>
            {
                services.RemoveAll<ITenantContext>();
                services.AddScoped<ITenantContext, OtherTenant>();
            });
            using var get = await other.Api.GetAsync("/api/v1/rules/mine");
            var listed = JsonDocument.Parse(await other.Api.GetStringAsync("/api/v1/rules")).RootElement;

            Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
            Assert.Equal(0, listed.GetArrayLength());
        }
        finally
        {
            BrokerInstance.DeleteFolder(folder);
        }
    }

    private sealed class OtherTenant : ITenantContext
    {
        public string TenantId => "other";
    }
}
