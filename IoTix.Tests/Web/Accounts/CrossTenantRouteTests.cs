using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using ConsoleBrokerHost = IoTix.Tests.Broker.History.ConsoleBrokerHost;
using HistoryTestSupport = IoTix.Tests.Broker.History.HistoryTestSupport;
using TenantBrokerHost = IoTix.Tests.Broker.History.TenantBrokerHost;
using IoTix.Tests.Shared;
using IoTix.Tests.Web.Api;
using IoTix.Web.Accounts;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Protocol;

namespace IoTix.Tests.Web.Accounts;

/// <summary>
/// Tenant B against every /api/v1 route, driven by the host's own route table so a new route cannot be missed: tenant A
/// owns one object of every kind (model, group, devices, user, API key, rule, MQTT user, registered thing with a shadow,
/// history, replay, dead letter), B's lists never mention any of them, and every route that names an object answers B
/// exactly as it answers for an id that exists nowhere: refused, and nothing of A's changes (real PostgreSQL, hosted broker).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed partial class CrossTenantRouteTests(PostgresFixture postgres)
{
    private const string TenantA = "xa";
    private const string TenantB = "xb";

    /// <summary>Every id of tenant A starts with this, so any leak into B's answers is found by a substring search.</summary>
    private const string Marker = "zqa-";

    /// <summary>
    /// Routes whose 2xx for B is legitimate: ids are per tenant, so they create or replace B's own object of that id (a
    /// model, a thing's shadow), or act on the one B just created; A's object of the same id stays as it was.
    /// </summary>
    private static readonly HashSet<string> UpsertsInOwnTenant = new(StringComparer.Ordinal)
    {
        "PUT /api/v1/models/{id}", "DELETE /api/v1/models/{id}",
        "PATCH /api/v1/shadows/{id}", "PUT /api/v1/shadows/{id}", "DELETE /api/v1/shadows/{id}",
    };

    [Fact]
    public async Task Tenant_B_can_neither_see_nor_touch_nor_detect_any_object_of_tenant_A_on_any_route()
    {
        using var acl = await AclFile.CreateAsync($$"""{ "default": "allow", "rules": [ { "permission": "deny", "action": "publish", "topic": "tenants/{{TenantA}}/forbidden/#" } ] }""");
        await using var host = await TenantBrokerHost.StartAsync(postgres, new() { ["Broker:AclFile"] = acl.Path });
        await TenantBrokerHost.CreateTenantAsync(host, TenantA);
        await TenantBrokerHost.CreateTenantAsync(host, TenantB);
        using var a = await host.Factory.CreateClientForAsync(TenantRoles.Owner, TenantA);
        using var b = await host.Factory.CreateClientForAsync(TenantRoles.Owner, TenantB);
        var ids = await ArrangeTenantAAsync(host, a);
        var routes = ApiRoutes(host.Services);

        var leaks = new List<string>();
        foreach (var (method, pattern, _) in routes)
        {
            if (method == "GET" && !pattern.Contains('{', StringComparison.Ordinal))
            {
                using var response = await b.GetAsync(pattern);
                var body = await response.Content.ReadAsStringAsync();
                if (body.Contains(Marker, StringComparison.Ordinal) || body.Contains($"tenants/{TenantA}/", StringComparison.Ordinal))
                {
                    leaks.Add($"GET {pattern}: {(int)response.StatusCode} {body}");
                }
            }
        }

        var unmapped = new List<string>();
        var detectable = new List<string>();
        var accepted = new List<string>();
        var exercised = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (method, pattern, _) in routes)
        {
            if (!pattern.Contains('{', StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var values in ids.ValuesFor(pattern, unmapped))
            {
                var (ownStatus, ownBody) = await SendAsync(b, method, Fill(pattern, values));
                var (noneStatus, noneBody) = await SendAsync(b, method, Fill(pattern, Nowhere(values)));
                var route = $"{method} {pattern}";
                exercised.Add(pattern["/api/v1/".Length..].Split('/')[0]);
                if (ownStatus != noneStatus || Normalized(ownBody, values) != Normalized(noneBody, Nowhere(values)))
                {
                    detectable.Add($"{route} [{string.Join(", ", values.Values)}]: {(int)ownStatus} {ownBody} / for an id that exists nowhere: {(int)noneStatus} {noneBody}");
                }
                else if ((int)ownStatus < 400 && !UpsertsInOwnTenant.Contains(route))
                {
                    accepted.Add($"{route}: {(int)ownStatus} {ownBody}");
                }
            }
        }

        Assert.Equal(["api-keys", "dead-letters", "devices", "groups", "history", "models", "mqtt-users", "registry", "rules", "shadows", "tenants", "users"], exercised);
        Assert.True(unmapped.Count == 0, "routes with a parameter this test does not know (give tenant A such an object): " + string.Join("; ", unmapped.Distinct()));
        Assert.True(leaks.Count == 0, "lists that show tenant B something of tenant A:\n" + string.Join("\n", leaks));
        Assert.True(detectable.Count == 0, "routes that answer differently for tenant A's ids than for ids that exist nowhere:\n" + string.Join("\n", detectable));
        Assert.True(accepted.Count == 0, "routes that accepted tenant B's request on tenant A's ids:\n" + string.Join("\n", accepted));
        await ids.AssertUnchangedAsync(a);
    }

    /// <summary>Tenant A: one object of every kind a route can name, each id starting with <see cref="Marker"/>.</summary>
    private static async Task<TenantAObjects> ArrangeTenantAAsync(ConsoleBrokerHost host, HttpClient a)
    {
        await CreatedAsync(a.PostJsonAsync("/api/v1/models", ApiTestHost.Model(Marker + "model")));
        await CreatedAsync(a.PostJsonAsync("/api/v1/groups", $$"""{"modelId": "{{Marker}}model", "count": 2, "groupId": "{{Marker}}group", "idPattern": "{{Marker}}dev-{index}"}"""));
        await CreatedAsync(a.PostJsonAsync("/api/v1/devices", $$"""{"modelId": "{{Marker}}model", "deviceId": "{{Marker}}single"}"""));
        var user = await CreatedAsync(a.PostJsonAsync("/api/v1/users", $$"""{"email": "{{Marker}}viewer@a.test", "password": "viewer-password-1", "role": "Viewer"}"""));
        var key = await CreatedAsync(a.PostJsonAsync("/api/v1/api-keys", $$"""{"name": "{{Marker}}key"}"""));
        await CreatedAsync(a.PostJsonAsync("/api/v1/rules", $$"""{"id": "{{Marker}}rule", "name": "{{Marker}}rule", "topicFilters": ["tenants/{{TenantA}}/data/#"], "actions": [{"type": "database"}]}"""));
        var mqttUser = await CreatedAsync(a.PostJsonAsync("/api/v1/mqtt-users", $$"""{"name": "{{Marker}}mqtt"}"""));
        await CreatedAsync(a.PostJsonAsync("/api/v1/registry/devices", $$"""{"deviceId": "{{Marker}}thing"}"""));
        var (shadowStatus, shadowBody) = await SendAsync(a, "PATCH", $"/api/v1/shadows/{Marker}thing", """{"state":{"desired":{"level":1}}}""");
        Assert.True(shadowStatus == HttpStatusCode.OK, shadowBody);

        using (var device = await host.ConnectAsync($"tenants/{TenantA}/{Marker}publisher", TenantMqttUser.Of(host.Services, TenantA)))
        {
            await device.PublishStringAsync($"tenants/{TenantA}/data/{Marker}reading", "21.5", MqttQualityOfServiceLevel.AtLeastOnce);
            await device.PublishStringAsync($"tenants/{TenantA}/forbidden/{Marker}door", "open", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        await HistoryTestSupport.WaitForHistoryAsync(host.Services);
        await HistoryTestSupport.WaitForDeadLettersAsync(host.Services);
        var deadLetter = await a.WaitForAsync("/api/v1/dead-letters", d => d.GetProperty("items").GetArrayLength() == 1, "tenant A's dead letter");
        var replay = await CreatedAsync(a.PostJsonAsync("/api/v1/history/replays", $$"""{"topic": "tenants/{{TenantA}}/data/#", "pace": "fast", "targetTopic": "tenants/{{TenantA}}/replayed"}"""), HttpStatusCode.Accepted);
        return new TenantAObjects(
            user.GetProperty("id").GetString()!,
            key.GetProperty("id").GetString()!,
            mqttUser.GetProperty("id").GetString()!,
            replay.GetProperty("id").ToString(),
            deadLetter.GetProperty("items")[0].GetProperty("id").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private static async Task<System.Text.Json.JsonElement> CreatedAsync(Task<HttpResponseMessage> request, HttpStatusCode expected = HttpStatusCode.Created)
    {
        using var response = await request;
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {body}");
        return System.Text.Json.JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Every /api/v1 route with its methods, as the host maps them (anonymous ones included).</summary>
    private static List<(string Method, string Pattern, bool Anonymous)> ApiRoutes(IServiceProvider services)
    {
        var routes = new List<(string, string, bool)>();
        foreach (var endpoint in services.GetRequiredService<EndpointDataSource>().Endpoints)
        {
            if (endpoint is RouteEndpoint { RoutePattern.RawText: { } pattern } && pattern.StartsWith("/api/v1", StringComparison.Ordinal))
            {
                foreach (var method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                {
                    routes.Add((method, pattern.TrimEnd('/'), endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null));
                }
            }
        }

        return routes;
    }

    private static async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient client, string method, string url, string? body = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (method is "POST" or "PUT" or "PATCH")
        {
            request.Content = new StringContent(body ?? BodyFor(method, url), Encoding.UTF8, "application/json");
        }

        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>A body the route accepts, so the answer is about the id, not about a malformed request.</summary>
    private static string BodyFor(string method, string url) => url switch
    {
        _ when url.EndsWith("/dropout", StringComparison.Ordinal) => """{"percentage": 50}""",
        _ when url.Contains("/api/v1/users/", StringComparison.Ordinal) && method == "PUT" => """{"role": "Owner"}""",
        _ when url.Contains("/api/v1/shadows/", StringComparison.Ordinal) => """{"state":{"desired":{"level":9}}}""",
        _ when url.Contains("/api/v1/registry/devices/", StringComparison.Ordinal) && method == "PUT" => """{"tags":["taken-over"]}""",
        _ when url.Contains("/api/v1/models/", StringComparison.Ordinal) => ApiTestHost.Model(url[(url.LastIndexOf('/') + 1)..]),
        _ when url.Contains("/api/v1/rules/", StringComparison.Ordinal) && url.EndsWith("/test", StringComparison.Ordinal) => """{"topic": "tenants/xb/data/x", "payload": "1"}""",
        _ when url.Contains("/api/v1/rules/", StringComparison.Ordinal) && method == "PUT" => $$"""{"name": "taken over", "topicFilters": ["tenants/{{TenantB}}/#"], "actions": [{"type": "database"}]}""",
        _ when url.Contains("/api/v1/tenants/", StringComparison.Ordinal) => """{"name": "taken over", "maxDevices": 1}""",
        _ => "{}",
    };

    /// <summary>The answer with the ids replaced by placeholders, so the one for A's ids and the one for no ids compare.</summary>
    private static string Normalized(string body, IReadOnlyDictionary<string, string> values)
    {
        body = TraceId().Replace(body, "");
        foreach (var (name, value) in values)
        {
            // Whole tokens only: a dead letter id "1" must not rewrite "rfc9110".
            body = Regex.Replace(body, $"(?<![\\w.-]){Regex.Escape(value)}(?![\\w-])", "{" + name + "}");
        }

        return body;
    }

    private static string Fill(string pattern, IReadOnlyDictionary<string, string> values) =>
        Parameter().Replace(pattern, m => Uri.EscapeDataString(values[m.Groups[1].Value]));

    /// <summary>The same parameters with ids that exist in no tenant (numbers stay numbers).</summary>
    private static Dictionary<string, string> Nowhere(IReadOnlyDictionary<string, string> values)
    {
        var none = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in values)
        {
            none[name] = long.TryParse(value, out _) ? "987654321" : "zz-none-" + name;
        }

        return none;
    }

    [GeneratedRegex("\\{([^}:]+)(:[^}]+)?\\}")]
    private static partial Regex Parameter();

    [GeneratedRegex("\"traceId\":\"[^\"]*\"")]
    private static partial Regex TraceId();

    /// <summary>Tenant A's objects, by the route parameter that names them.</summary>
    private sealed record TenantAObjects(string UserId, string KeyId, string MqttUserId, string ReplayId, string DeadLetterId)
    {
        /// <summary>The parameter sets to try on <paramref name="pattern"/>; a parameter nobody maps is added to <paramref name="unmapped"/>.</summary>
        public IEnumerable<Dictionary<string, string>> ValuesFor(string pattern, List<string> unmapped)
        {
            var resource = pattern["/api/v1/".Length..].Split('/')[0];
            var sets = new List<Dictionary<string, string>> { new(StringComparer.Ordinal) };
            foreach (Match match in Parameter().Matches(pattern))
            {
                var name = match.Groups[1].Value;
                string[] candidates = (resource, name) switch
                {
                    ("models", "id") => [Marker + "model"],
                    ("groups", "groupId") => [Marker + "group"],
                    ("devices", "id") => [Marker + "single", Marker + "dev-0"],
                    ("users", "id") => [UserId],
                    ("api-keys", "id") => [KeyId],
                    ("rules", "ruleId") => [Marker + "rule"],
                    ("mqtt-users", "id") => [MqttUserId],
                    ("registry", "id") or ("shadows", "id") => [Marker + "thing"],
                    ("registry", "method") => ["reboot"],
                    ("history", "id") => [ReplayId],
                    ("dead-letters", "id") => [DeadLetterId],
                    ("tenants", "id") => [TenantA],
                    _ => [],
                };
                if (candidates.Length == 0)
                {
                    unmapped.Add($"{pattern} {{{name}}}");
                    return [];
                }

                var next = new List<Dictionary<string, string>>();
                foreach (var set in sets)
                {
                    foreach (var candidate in candidates)
                    {
                        next.Add(new Dictionary<string, string>(set, StringComparer.Ordinal) { [name] = candidate });
                    }
                }

                sets = next;
            }

            return sets;
        }

        /// <summary>Everything of A is still there, as A made it.</summary>
        public async Task AssertUnchangedAsync(HttpClient a)
        {
            foreach (var url in new[]
            {
                $"/api/v1/models/{Marker}model", $"/api/v1/groups/{Marker}group", $"/api/v1/devices/{Marker}single", $"/api/v1/devices/{Marker}dev-0",
                $"/api/v1/rules/{Marker}rule", $"/api/v1/registry/devices/{Marker}thing", $"/api/v1/shadows/{Marker}thing", $"/api/v1/dead-letters/{DeadLetterId}",
                $"/api/v1/history/replays/{ReplayId}",
            })
            {
                using var response = await a.GetAsync(url);
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"tenant A's {url}: {(int)response.StatusCode}");
            }

            Assert.Equal("Viewer", (await a.GetJsonAsync($"/api/v1/users/{UserId}")).GetProperty("role").GetString());
            Assert.Contains(KeyId, (await a.GetJsonAsync("/api/v1/api-keys")).ToString(), StringComparison.Ordinal);
            Assert.Contains(MqttUserId, (await a.GetJsonAsync("/api/v1/mqtt-users")).ToString(), StringComparison.Ordinal);
            Assert.Equal(1, (await a.GetJsonAsync($"/api/v1/shadows/{Marker}thing")).GetProperty("state").GetProperty("desired").GetProperty("level").GetInt32());
            Assert.Equal(2, (await a.GetJsonAsync($"/api/v1/groups/{Marker}group")).GetProperty("deviceCount").GetInt32());
            Assert.Equal("created", (await a.GetJsonAsync($"/api/v1/devices/{Marker}single")).GetProperty("state").GetString());
        }
    }
}
