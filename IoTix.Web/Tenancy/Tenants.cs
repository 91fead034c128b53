namespace IoTix.Web.Tenancy;

/// <summary>Well-known tenant ids.</summary>
public static class Tenants
{
    /// <summary>The tenant of a single-tenant installation, and of data created before tenants existed.</summary>
    public const string Default = "default";
}
