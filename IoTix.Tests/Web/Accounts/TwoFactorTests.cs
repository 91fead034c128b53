using System.Buffers.Binary;
using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using IoTix.Tests.Shared;
using IoTix.Tests.Web.Api;
using IoTix.Web.Accounts;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace IoTix.Tests.Web.Accounts;

/// <summary>Optional TOTP two-factor on a real PostgreSQL: enable with a first code, login with and without it, disable.</summary>
[Collection(PostgresCollection.Name)]
public sealed class TwoFactorTests(PostgresFixture postgres)
{
    private static Task<HttpResponseMessage> LoginAsync(HttpClient client, string? totp) =>
        client.PostJsonAsync("/api/v1/auth/login", JsonSerializer.Serialize(new { email = IoTixWebFactory.AdminEmail, password = IoTixWebFactory.AdminPassword, totp }));

    internal static async Task<ClaimsPrincipal> AdminAsync(AsyncServiceScope scope)
    {
        var user = await scope.ServiceProvider.GetRequiredService<UserManager<IoTixUser>>().FindByEmailAsync(IoTixWebFactory.AdminEmail);
        return new ClaimsPrincipal(new ClaimsIdentity([new Claim(AccountClaims.Subject, user!.Id)], "test"));
    }

    private static async Task<(ClaimsPrincipal Admin, AuthenticatorKey Key)> StartSetupAsync(AccountsHost host)
    {
        await using var scope = host.Factory.Services.CreateAsyncScope();
        var admin = await AdminAsync(scope);
        var key = await scope.ServiceProvider.GetRequiredService<TwoFactorSetup>().NewKeyAsync(admin);
        return (admin, key!);
    }

    private static async Task<TwoFactorEnableResult> EnableAsync(AccountsHost host, ClaimsPrincipal admin, string code)
    {
        await using var scope = host.Factory.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<TwoFactorSetup>().EnableAsync(admin, code);
    }

    internal static async Task<AccountsHost> StartWithTwoFactorAsync(PostgresFixture postgres, IDictionary<string, string?>? settings = null)
    {
        var host = await AccountsHost.StartAsync(postgres, settings);
        var (admin, key) = await StartSetupAsync(host);
        var enabled = await EnableAsync(host, admin, Totp.Code(key.Key, DateTimeOffset.UtcNow, stepOffset: -1));
        Assert.True(enabled.Succeeded, enabled.Error);
        host.AuthenticatorKey = key.Key;
        return host;
    }

    [Fact]
    public async Task A_new_key_is_base32_with_an_otpauth_uri_and_a_wrong_first_code_leaves_two_factor_off()
    {
        await using var host = await AccountsHost.StartAsync(postgres);
        var (admin, key) = await StartSetupAsync(host);

        var wrong = await EnableAsync(host, admin, Totp.Code(key.Key, DateTimeOffset.UtcNow, stepOffset: 1000));
        using var login = await LoginAsync(host.Factory.CreateAnonymousClient(), totp: null);

        Assert.Matches("^[A-Z2-7]{16,}$", key.Key);
        Assert.StartsWith("otpauth://totp/IoTix:", key.Uri, StringComparison.Ordinal);
        Assert.Contains("secret=" + key.Key, key.Uri, StringComparison.Ordinal);
        Assert.False(wrong.Succeeded);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
    }

    [Fact]
    public async Task With_two_factor_on_login_without_a_code_answers_401_naming_totp_and_with_the_code_returns_a_token()
    {
        await using var host = await StartWithTwoFactorAsync(postgres);
        using var anonymous = host.Factory.CreateAnonymousClient();

        using var without = await LoginAsync(anonymous, totp: null);
        using var with = await LoginAsync(anonymous, Totp.Code(host.AuthenticatorKey!, DateTimeOffset.UtcNow, stepOffset: 0));

        var problem = await without.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("totp", problem.GetProperty("field").GetString());
        Assert.Contains("totp", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, with.StatusCode);
        Assert.False(string.IsNullOrEmpty((await with.JsonAsync()).GetProperty("token").GetString()));
    }

    [Fact]
    public async Task A_wrong_code_answers_401_is_audited_and_counts_toward_lockout()
    {
        await using var host = await StartWithTwoFactorAsync(postgres, new Dictionary<string, string?> { ["IoTix:Accounts:MaxFailedSignIns"] = "2" });
        using var anonymous = host.Factory.CreateAnonymousClient();
        var wrongCode = Totp.Code(host.AuthenticatorKey!, DateTimeOffset.UtcNow, stepOffset: 1000);

        using var first = await LoginAsync(anonymous, wrongCode);
        using var second = await LoginAsync(anonymous, wrongCode);
        var audit = await host.Factory.CreateClient().GetJsonAsync("/api/v1/audit?action=auth.login&outcome=failed");

        var problem = await first.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("totp", problem.GetProperty("field").GetString());
        Assert.Equal((HttpStatusCode)423, second.StatusCode);
        Assert.Equal(
            new[] { "wrong two-factor code; account now locked", "wrong two-factor code" },
            audit.EnumerateArray().Select(e => e.GetProperty("details").GetString() ?? "").ToArray());
    }

    [Fact]
    public async Task After_disabling_two_factor_the_password_alone_signs_in_again()
    {
        await using var host = await StartWithTwoFactorAsync(postgres);
        using var anonymous = host.Factory.CreateAnonymousClient();
        using var before = await LoginAsync(anonymous, totp: null);

        await using (var scope = host.Factory.Services.CreateAsyncScope())
        {
            Assert.True(await scope.ServiceProvider.GetRequiredService<TwoFactorSetup>().DisableAsync(await AdminAsync(scope)));
        }

        using var after = await LoginAsync(anonymous, totp: null);
        var audit = await host.Factory.CreateClient().GetJsonAsync("/api/v1/audit?action=account.2fa");

        Assert.Equal(HttpStatusCode.Unauthorized, before.StatusCode);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(
            new[] { "account.2fa.disable", "account.2fa.enable", "account.2fa.key" },
            audit.EnumerateArray().Select(e => e.GetProperty("action").GetString() ?? "").ToArray());
    }
}

/// <summary>RFC 6238 TOTP (HMAC-SHA1, 30-second steps, 6 digits) from a base32 key, as an authenticator app computes it.</summary>
internal static class Totp
{
    public static string Code(string base32Key, DateTimeOffset at, int stepOffset)
    {
        var counter = (at.ToUnixTimeSeconds() / 30) + stepOffset;
        Span<byte> message = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(message, counter);
        var hash = HMACSHA1.HashData(Base32(base32Key), message);
        var offset = hash[^1] & 0x0F;
        var binary = (BinaryPrimitives.ReadInt32BigEndian(hash.AsSpan(offset)) & 0x7FFFFFFF) % 1_000_000;
        return binary.ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
    }

    private static byte[] Base32(string text)
    {
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var bytes = new List<byte>();
        int buffer = 0, bits = 0;
        foreach (var c in text.TrimEnd('='))
        {
            buffer = (buffer << 5) | Alphabet.IndexOf(char.ToUpperInvariant(c), StringComparison.Ordinal);
            bits += 5;
            if (bits >= 8)
            {
                bytes.Add((byte)(buffer >> (bits - 8)));
                bits -= 8;
            }
        }

        return [.. bytes];
    }
}
