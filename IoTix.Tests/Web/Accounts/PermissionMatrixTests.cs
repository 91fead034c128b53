using System.Net;
using IoTix.Tests.Shared;
using IoTix.Tests.Web.Api;
using IoTix.Web.Accounts;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;

namespace IoTix.Tests.Web.Accounts;

/// <summary>
/// The role matrix on a real PostgreSQL: every /api/v1 route declares a permission, and each role (and an anonymous
/// caller) gets exactly what <see cref="PermissionMatrix"/> says on every route.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PermissionMatrixTests(PostgresFixture postgres)
{
    /// <summary>Every route of the API group with the permission it declares (null: anonymous).</summary>
    private static List<(string Method, string Pattern, string? Permission)> ApiRoutes(IServiceProvider services)
    {
        var routes = new List<(string, string, string?)>();
        foreach (var endpoint in services.GetRequiredService<EndpointDataSource>().Endpoints)
        {
            if (endpoint is not RouteEndpoint route || route.RoutePattern.RawText is not { } pattern || !pattern.StartsWith("/api/v1", StringComparison.Ordinal))
            {
                continue;
            }

            var anonymous = endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null;
            var permission = endpoint.Metadata.GetMetadata<RequiresPermissionAttribute>()?.Permission;
            foreach (var method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
            {
                routes.Add((method, pattern, anonymous ? null : permission ?? "(undeclared)"));
            }
        }

        return routes;
    }

    /// <summary>The route with every parameter set to an id that exists nowhere (a number where the route constrains it to one).</summary>
    private static string Url(string pattern) =>
        System.Text.RegularExpressions.Regex.Replace(
            System.Text.RegularExpressions.Regex.Replace(pattern, "\\{[^}:]+:(long|int)\\}", "987654321"),
            "\\{[^}]+\\}",
            "matrix-none");

    [Fact]
    public async Task Every_api_route_declares_a_known_permission_or_allows_anonymous_callers()
    {
        await using var host = await AccountsHost.StartAsync(postgres);

        var routes = ApiRoutes(host.Factory.Services);

        Assert.True(routes.Count >= 40, $"only {routes.Count} routes found");
        var undeclared = routes.Where(r => r.Permission is not null && !Permissions.IsKnown(r.Permission)).Select(r => $"{r.Method} {r.Pattern}").ToList();
        Assert.True(undeclared.Count == 0, $"routes without a permission: {string.Join(", ", undeclared)}");
        Assert.Equal([("POST", "/api/v1/auth/login", (string?)null)], routes.Where(r => r.Permission is null).ToList());
    }

    [Theory]
    [InlineData(TenantRoles.Owner)]
    [InlineData(TenantRoles.Admin)]
    [InlineData(TenantRoles.Operator)]
    [InlineData(TenantRoles.Viewer)]
    [InlineData("anonymous")]
    [InlineData("platform")]
    public async Task Each_caller_gets_exactly_what_the_matrix_grants_on_every_route(string role)
    {
        await using var host = await AccountsHost.StartAsync(postgres);
        using var client = role switch
        {
            "anonymous" => host.Factory.CreateAnonymousClient(),
            "platform" => host.Factory.CreateClient(),
            _ => await host.Factory.CreateClientForAsync(role),
        };
        var effectiveRole = role == "platform" ? TenantRoles.Owner : role;

        var wrong = new List<string>();
        foreach (var (method, pattern, permission) in ApiRoutes(host.Factory.Services))
        {
            if (permission is null)
            {
                continue; // POST /auth/login: open to all, answers 401 to wrong credentials
            }

            using var request = new HttpRequestMessage(new HttpMethod(method), Url(pattern));
            if (method is "POST" or "PUT")
            {
                request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
            }

            using var response = await client.SendAsync(request);
            var status = (int)response.StatusCode;
            var expected = role == "anonymous" ? "401"
                : permission == Permissions.TenantsManage ? (role == "platform" ? "open" : "403")
                : PermissionMatrix.RoleHas(effectiveRole, permission) || permission == Permissions.Authenticated ? "open"
                : "403";
            var actual = status switch
            {
                401 => "401",
                403 => "403",
                _ => "open",
            };
            if (expected != actual)
            {
                wrong.Add($"{method} {pattern} ({permission}): expected {expected}, got {status}");
            }
        }

        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public async Task A_forbidden_request_answers_403_problem_details_naming_the_permission_and_is_audited()
    {
        await using var host = await AccountsHost.StartAsync(postgres);
        using var viewer = await host.Factory.CreateClientForAsync(TenantRoles.Viewer);

        using var response = await viewer.PostJsonAsync("/api/v1/groups", """{"modelId": "file-sensor", "count": 1}""");
        var audit = await host.Factory.CreateClient().GetJsonAsync("/api/v1/audit?outcome=denied");

        var problem = await response.AssertProblemAsync(HttpStatusCode.Forbidden);
        Assert.Contains(Permissions.SimulationsWrite, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var entry = Assert.Single(audit.EnumerateArray());
        Assert.Equal("access.denied", entry.GetProperty("action").GetString());
        Assert.Equal("POST /api/v1/groups", entry.GetProperty("target").GetString());
        Assert.Equal("requires simulations.write", entry.GetProperty("details").GetString());
    }

    [Theory]
    [InlineData("/api/v1/shadows/{id}", "GET", "shadows.read")]
    [InlineData("/api/v1/shadows/{id}/desired", "PUT", "shadows.write")]
    [InlineData("/api/v1/rules", "POST", "rules.write")]
    [InlineData("/api/v1/history", "GET", "history.read")]
    [InlineData("/api/v1/devices/{id}/shadow", "GET", "simulations.read")]
    [InlineData("/api/v1/groups/{groupId}/tests", "POST", "simulations.write")]
    [InlineData("/api/v1/invoices/{id}", "GET", null)]
    [InlineData("/api/v1/history", "DELETE", "history.replay")]
    public void A_route_without_a_declaration_gets_its_permission_by_convention_or_none(string pattern, string method, string? expected)
    {
        var metadata = new List<object> { new HttpMethodMetadata([method]) };

        var permission = PermissionEndpointExtensions.ConventionalPermission(RoutePatternFactory.Parse(pattern), metadata);

        Assert.Equal(expected, permission);
    }

    [Fact]
    public async Task A_route_that_declares_no_permission_is_denied_even_to_an_owner()
    {
        var handler = new PermissionAuthorizationHandler();
        var http = new DefaultHttpContext();
        http.SetEndpoint(new Endpoint(static _ => Task.CompletedTask, new EndpointMetadataCollection(), "undeclared"));
        var owner = new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity(
            [new(IoTix.Web.Tenancy.TenantClaims.Role, TenantRoles.Owner), new(IoTix.Web.Tenancy.TenantClaims.Tenant, "default")], "test"));
        var requirement = new PermissionRequirement(null);
        var context = new AuthorizationHandlerContext([requirement], owner, http);

        await handler.HandleAsync(context);

        Assert.False(context.HasSucceeded);
        Assert.Contains(context.FailureReasons, r => r.Message == "the route declares no permission");
    }

    [Fact]
    public void Broker_permissions_belong_to_the_default_tenants_roles_only()
    {
        static System.Security.Claims.ClaimsPrincipal Owner(string tenant) => new(new System.Security.Claims.ClaimsIdentity(
            [new(IoTix.Web.Tenancy.TenantClaims.Role, TenantRoles.Owner), new(IoTix.Web.Tenancy.TenantClaims.Tenant, tenant)], "test"));

        Assert.True(PermissionMatrix.Allows(Owner("default"), Permissions.BrokerAdmin));
        Assert.False(PermissionMatrix.Allows(Owner("acme"), Permissions.BrokerAdmin));
        Assert.False(PermissionMatrix.Allows(Owner("acme"), Permissions.BrokerRead));
        Assert.False(PermissionMatrix.IsPlatformWide(Permissions.LiveRead));
        Assert.True(PermissionMatrix.Allows(Owner("acme"), Permissions.ModelsWrite));
    }

    [Theory]
    [InlineData("default", TenantRoles.Viewer)]
    [InlineData("acme", TenantRoles.Owner)]
    [InlineData("acme", TenantRoles.Operator)]
    [InlineData("acme", TenantRoles.Viewer)]
    public void Live_metrics_are_read_by_every_role_of_every_tenant(string tenant, string role)
    {
        var user = new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity(
            [new(IoTix.Web.Tenancy.TenantClaims.Role, role), new(IoTix.Web.Tenancy.TenantClaims.Tenant, tenant)], "test"));
        var stranger = new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity(
            [new(IoTix.Web.Tenancy.TenantClaims.Role, "Guest"), new(IoTix.Web.Tenancy.TenantClaims.Tenant, tenant)], "test"));

        Assert.True(PermissionMatrix.Allows(user, Permissions.LiveRead));
        Assert.False(PermissionMatrix.Allows(stranger, Permissions.LiveRead));
    }

    [Fact]
    public void A_sign_in_on_a_temporary_password_holds_no_permission_until_the_password_is_changed()
    {
        static System.Security.Claims.ClaimsPrincipal Owner(bool temporary) => new(new System.Security.Claims.ClaimsIdentity(
            [
                new(IoTix.Web.Tenancy.TenantClaims.Role, TenantRoles.Owner), new(IoTix.Web.Tenancy.TenantClaims.Tenant, "default"),
                .. temporary ? new[] { new System.Security.Claims.Claim(AccountClaims.MustChangePassword, "true") } : [],
            ],
            "test"));

        var withTemporary = Owner(temporary: true);
        var changed = Owner(temporary: false);

        Assert.All(Permissions.All, permission => Assert.False(PermissionMatrix.Allows(withTemporary, permission), permission));
        Assert.True(PermissionMatrix.Allows(withTemporary, Permissions.Authenticated)); // the password page itself
        Assert.True(PermissionMatrix.Allows(changed, Permissions.ModelsRead));
    }

    [Theory]
    [InlineData("default", TenantRoles.Owner, true)]
    [InlineData("default", TenantRoles.Admin, true)]
    [InlineData("acme", TenantRoles.Owner, true)]
    [InlineData("acme", TenantRoles.Admin, true)]
    [InlineData("acme", TenantRoles.Operator, false)]
    [InlineData("acme", TenantRoles.Viewer, false)]
    public void Mqtt_users_are_managed_by_owners_and_admins_of_any_tenant(string tenant, string role, bool allowed)
    {
        var user = new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity(
            [new(IoTix.Web.Tenancy.TenantClaims.Role, role), new(IoTix.Web.Tenancy.TenantClaims.Tenant, tenant)], "test"));

        Assert.Equal(allowed, PermissionMatrix.Allows(user, Permissions.MqttUsersManage));
        Assert.Contains(Permissions.MqttUsersManage, Permissions.All);
    }

    [Theory]
    [InlineData("/api/v1/mqtt-users", "GET")]
    [InlineData("/api/v1/mqtt-users", "POST")]
    [InlineData("/api/v1/mqtt-users/{id}", "DELETE")]
    public async Task The_mqtt_user_routes_declare_mqttusers_manage(string pattern, string method)
    {
        await using var host = await AccountsHost.StartAsync(postgres);

        var route = ApiRoutes(host.Factory.Services).Single(r => r.Pattern.TrimEnd('/') == pattern && r.Method == method);

        Assert.Equal(Permissions.MqttUsersManage, route.Permission);
    }
}
