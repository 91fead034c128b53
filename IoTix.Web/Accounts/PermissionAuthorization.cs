using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing.Patterns;

namespace IoTix.Web.Accounts;

/// <summary>The permission an endpoint (API route, hub) needs; see <see cref="Permissions"/>.</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false)]
public sealed class RequiresPermissionAttribute(string permission) : Attribute
{
    public string Permission { get; } = permission;
}

public static class PermissionEndpointExtensions
{
    /// <summary>Name of the policy of the <c>/api/v1</c> group: authenticated, and holding the route's declared permission.</summary>
    public const string ApiPolicy = "iotix.api";

    /// <summary>Declares the permission this endpoint needs (on a route of the /api/v1 group, or with its own policy elsewhere).</summary>
    public static TBuilder RequirePermission<TBuilder>(this TBuilder builder, string permission)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!Permissions.IsKnown(permission))
        {
            throw new ArgumentException($"'{permission}' is not a permission of IoTix.Web.Accounts.Permissions", nameof(permission));
        }

        return builder.WithMetadata(new RequiresPermissionAttribute(permission));
    }

    /// <summary>
    /// The /api/v1 group's default: every route needs an authenticated caller and a permission. A route that declares
    /// none gets one by convention from its first path segment and method (<c>GET /api/v1/shadows/..</c> -> shadows.read,
    /// other methods -> shadows.write; under devices, groups, runs, stats: simulations.read/.write; broker: broker.read/.admin)
    /// when that permission exists; otherwise it is denied to everyone.
    /// </summary>
    public static RouteGroupBuilder RequirePermissionsByConvention(this RouteGroupBuilder group)
    {
        ArgumentNullException.ThrowIfNull(group);
        group.RequireAuthorization(ApiPolicy);
        ((IEndpointConventionBuilder)group).Finally(static endpoint =>
        {
            foreach (var item in endpoint.Metadata)
            {
                if (item is RequiresPermissionAttribute)
                {
                    return;
                }
            }

            if (endpoint is RouteEndpointBuilder route && ConventionalPermission(route.RoutePattern, endpoint.Metadata) is { } permission)
            {
                endpoint.Metadata.Add(new RequiresPermissionAttribute(permission));
            }
        });
        return group;
    }

    /// <summary><c>{segment}.read</c> for GET/HEAD, <c>{segment}.write</c> otherwise, when that permission exists.</summary>
    internal static string? ConventionalPermission(RoutePattern pattern, IList<object> metadata)
    {
        string? resource = null;
        int literal = 0;
        foreach (var segment in pattern.PathSegments)
        {
            if (segment.Parts is [RoutePatternLiteralPart part])
            {
                literal++;
                if (literal == 3)
                {
                    resource = part.Content; // api / v1 / resource
                    break;
                }
            }
        }

        if (resource is null)
        {
            return null;
        }

        var read = true;
        foreach (var item in metadata)
        {
            if (item is HttpMethodMetadata methods)
            {
                foreach (var method in methods.HttpMethods)
                {
                    read &= HttpMethods.IsGet(method) || HttpMethods.IsHead(method);
                }
            }
        }

        resource = resource.ToLowerInvariant();
        if (ResourceAreas.TryGetValue(resource, out var area))
        {
            return read ? area.Read : area.Write;
        }

        var permission = $"{resource}.{(read ? "read" : "write")}";
        return Permissions.IsKnown(permission) ? permission : null;
    }

    /// <summary>Resources whose permissions carry another name (routes nested under devices or groups are simulations).</summary>
    private static readonly Dictionary<string, (string Read, string Write)> ResourceAreas = new(StringComparer.Ordinal)
    {
        ["devices"] = (Permissions.SimulationsRead, Permissions.SimulationsWrite),
        ["groups"] = (Permissions.SimulationsRead, Permissions.SimulationsWrite),
        ["runs"] = (Permissions.SimulationsRead, Permissions.SimulationsWrite),
        ["stats"] = (Permissions.SimulationsRead, Permissions.SimulationsWrite),
        ["history"] = (Permissions.HistoryRead, Permissions.HistoryReplay), // replays publish into the broker
        ["dead-letters"] = (Permissions.HistoryRead, Permissions.HistoryReplay), // re-publish, delete
        ["registry"] = (Permissions.ShadowsRead, Permissions.ShadowsWrite), // devices of the twin service, direct methods
        ["broker"] = (Permissions.BrokerRead, Permissions.BrokerAdmin),
    };
}

/// <summary>A permission check: the named one, or (null) the one the endpoint declares.</summary>
internal sealed class PermissionRequirement(string? permission) : IAuthorizationRequirement
{
    public string? Permission { get; } = permission;
}

/// <summary>Grants a <see cref="PermissionRequirement"/> when the caller's role holds the permission (<see cref="PermissionMatrix"/>).</summary>
internal sealed class PermissionAuthorizationHandler : AuthorizationHandler<PermissionRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, PermissionRequirement requirement)
    {
        var permission = requirement.Permission ?? Declared(context.Resource);
        if (permission is null)
        {
            context.Fail(new AuthorizationFailureReason(this, "the route declares no permission"));
        }
        else if (PermissionMatrix.Allows(context.User, permission))
        {
            context.Succeed(requirement);
        }
        else
        {
            context.Fail(new AuthorizationFailureReason(this, $"{permission} required"));
        }

        return Task.CompletedTask;
    }

    internal static string? Declared(object? resource) => resource switch
    {
        HttpContext http => http.GetEndpoint()?.Metadata.GetMetadata<RequiresPermissionAttribute>()?.Permission,
        Endpoint endpoint => endpoint.Metadata.GetMetadata<RequiresPermissionAttribute>()?.Permission,
        _ => null,
    };
}
