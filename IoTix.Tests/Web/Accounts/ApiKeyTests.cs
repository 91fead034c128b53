using System.Net;
using IoTix.Tests.Shared;
using IoTix.Tests.Web.Api;
using IoTix.Web.Accounts;
using IoTix.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IoTix.Tests.Web.Accounts;

/// <summary>The API key life cycle on a real PostgreSQL: created once, stored hashed, used, revoked, expired, bounded by the creator's role.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ApiKeyTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_created_key_is_shown_once_stored_as_a_hash_and_works_in_both_headers()
    {
        await using var host = await AccountsHost.StartAsync(postgres);
        var admin = host.Factory.CreateClient();

        using var created = await admin.PostJsonAsync("/api/v1/api-keys", """{"name": "ci", "role": "Operator"}""");
        var body = await created.JsonAsync();
        var key = body.GetProperty("key").GetString()!;
        var listed = await admin.GetJsonAsync("/api/v1/api-keys");
        string storedHash;
        await using (var context = await host.Factory.Services.GetRequiredService<IDbContextFactory<IoTixDbContext>>().CreateDbContextAsync())
        {
            storedHash = (await context.Set<ApiKeyRecord>().SingleAsync(k => k.Name == "ci")).Hash;
        }

        using var byHeader = host.Factory.CreateAnonymousClient();
        byHeader.DefaultRequestHeaders.Add("X-Api-Key", key);
        using var byAuthorization = host.Factory.CreateAnonymousClient();
        byAuthorization.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "ApiKey " + key);
        var me = await byHeader.GetJsonAsync("/api/v1/auth/me");
        using var groups = await byAuthorization.GetAsync("/api/v1/groups");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.StartsWith("iotix_", key, StringComparison.Ordinal);
        Assert.DoesNotContain(key, listed.ToString(), StringComparison.Ordinal);
        Assert.Equal(ApiKeyService.HashOf(key), storedHash);
        Assert.NotEqual(key, storedHash);
        Assert.Equal("Operator", me.GetProperty("role").GetString());
        Assert.Equal("apikey", me.GetProperty("method").GetString());
        Assert.Equal(HttpStatusCode.OK, groups.StatusCode);
    }

    [Fact]
    public async Task A_revoked_key_answers_401_at_once()
    {
        await using var host = await AccountsHost.StartAsync(postgres);
        var admin = host.Factory.CreateClient();
        var created = await (await admin.PostJsonAsync("/api/v1/api-keys", """{"name": "short-lived"}""")).JsonAsync();
        using var client = host.Factory.CreateAnonymousClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", created.GetProperty("key").GetString());
        using var before = await client.GetAsync("/api/v1/models");

        using var revoke = await admin.DeleteAsync($"/api/v1/api-keys/{created.GetProperty("id").GetString()}");
        using var after = await client.GetAsync("/api/v1/models");
        var listed = await admin.GetJsonAsync("/api/v1/api-keys");

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Contains(listed.EnumerateArray(), k => k.GetProperty("name").GetString() == "short-lived" && k.GetProperty("revokedAt").ValueKind == System.Text.Json.JsonValueKind.String);
    }

    [Fact]
    public async Task A_key_stops_working_at_its_expiry()
    {
        await using var host = await AccountsHost.StartAsync(postgres);
        var admin = host.Factory.CreateClient();
        var expiresAt = DateTimeOffset.UtcNow.AddSeconds(3).ToString("O");
        var created = await (await admin.PostJsonAsync("/api/v1/api-keys", $$"""{"name": "expiring", "expiresAt": "{{expiresAt}}"}""")).JsonAsync();
        using var client = host.Factory.CreateAnonymousClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", created.GetProperty("key").GetString());

        using var fresh = await client.GetAsync("/api/v1/models");
        var refused = false;
        for (var deadline = DateTime.UtcNow.AddSeconds(30); DateTime.UtcNow < deadline && !refused; await Task.Delay(200))
        {
            using var response = await client.GetAsync("/api/v1/models");
            refused = response.StatusCode == HttpStatusCode.Unauthorized;
        }

        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        Assert.True(refused, "the key still worked 30 s after its expiry");
    }

    [Fact]
    public async Task A_caller_cannot_create_a_key_with_a_role_above_its_own()
    {
        await using var host = await AccountsHost.StartAsync(postgres);
        using var admin = await host.Factory.CreateClientForAsync(TenantRoles.Admin);

        using var response = await admin.PostJsonAsync("/api/v1/api-keys", """{"name": "escalate", "role": "Owner"}""");

        var message = await response.AssertFieldProblemAsync(HttpStatusCode.BadRequest, "role");
        Assert.Contains("above your own role", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_garbage_key_answers_401()
    {
        await using var host = await AccountsHost.StartAsync(postgres);
        using var client = host.Factory.CreateAnonymousClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", "iotix_0000_not-a-key");

        using var response = await client.GetAsync("/api/v1/models");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
