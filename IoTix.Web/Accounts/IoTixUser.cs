using IoTix.Web.Tenancy;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace IoTix.Web.Accounts;

/// <summary>
/// A console and API user (ASP.NET Core Identity, table users): member of one tenant with one role there, and
/// optionally a platform administrator (manages tenants). Users are not <see cref="ITenantScoped"/> (sign-in finds
/// them across tenants); the user endpoints filter on the caller's tenant themselves.
/// </summary>
public sealed class IoTixUser : IdentityUser
{
    public string TenantId { get; set; } = Tenants.Default;

    /// <summary>One of <see cref="TenantRoles"/>.</summary>
    public string Role { get; set; } = TenantRoles.Viewer;

    public bool IsPlatformAdmin { get; set; }

    public DateTime CreatedAt { get; set; }

    /// <summary>
    /// True after an administrator's reset: the password is a one-time temporary one and the console sends the user to
    /// <c>/account/password</c> until it is changed; no bearer token is issued meanwhile.
    /// </summary>
    public bool MustChangePassword { get; set; }
}

/// <summary>Identity's tables under IoTix names, with the user's tenant columns.</summary>
internal static class IdentityTables
{
    public static void Configure(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<IoTixUser>(b =>
        {
            b.ToTable("users");
            b.Property(u => u.TenantId).HasMaxLength(64);
            b.Property(u => u.Role).HasMaxLength(16);
            b.HasIndex(u => u.TenantId);
        });
        modelBuilder.Entity<IdentityUserClaim<string>>().ToTable("user_claims");
        modelBuilder.Entity<IdentityUserLogin<string>>().ToTable("user_logins");
        modelBuilder.Entity<IdentityUserToken<string>>().ToTable("user_tokens");
    }
}
