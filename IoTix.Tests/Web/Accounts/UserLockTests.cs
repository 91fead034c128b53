using System.Net;
using System.Text.Json;
using IoTix.Tests.Shared;
using IoTix.Tests.Web.Api;
using IoTix.Web.Accounts;

namespace IoTix.Tests.Web.Accounts;

/// <summary>An administrator locks a user until unlocked and unlocks it again through the API, on a real PostgreSQL.</summary>
[Collection(PostgresCollection.Name)]
public sealed class UserLockTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_locked_user_is_refused_with_423_and_signs_in_again_once_unlocked()
    {
        await using var host = await AccountsHost.StartAsync(postgres);
        using var admin = host.Factory.CreateClient();
        using var created = await admin.PostJsonAsync("/api/v1/users", JsonSerializer.Serialize(new { email = "locked@lock.test", password = "locked-password-1", role = TenantRoles.Viewer }));
        var id = (await created.JsonAsync()).GetProperty("id").GetString();
        Task<HttpResponseMessage> LoginAsync() => host.Factory.CreateAnonymousClient().PostJsonAsync("/api/v1/auth/login", """{"email": "locked@lock.test", "password": "locked-password-1"}""");

        using var locked = await admin.PutJsonAsync($"/api/v1/users/{id}", """{"locked": true}""");
        using var whileLocked = await LoginAsync();
        using var unlocked = await admin.PutJsonAsync($"/api/v1/users/{id}", """{"locked": false}""");
        using var afterUnlock = await LoginAsync();

        Assert.True((await locked.JsonAsync()).GetProperty("lockedOut").GetBoolean());
        Assert.Equal(HttpStatusCode.Locked, whileLocked.StatusCode);
        Assert.False((await unlocked.JsonAsync()).GetProperty("lockedOut").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, afterUnlock.StatusCode);
    }
}
