using IoTix.Web.Accounts;
using IoTix.Web.Audit;
using IoTix.Web.MqttUsers;
using IoTix.Web.Simulations;
using IoTix.Web.Tenancy;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Scalar.AspNetCore;

namespace IoTix.Web.Api;

/// <summary>The REST API <c>/api/v1</c> (models, devices, groups, stats, settings), its OpenAPI document and reference page.</summary>
public static class ApiEndpoints
{
    public const string Prefix = "/api/v1";

    /// <summary>
    /// Registers the API: the simulations it drives (<c>AddIoTixSimulations</c>), problem details, the OpenAPI
    /// document and <c>IoTix:Api</c> options (validated at start).
    /// </summary>
    public static IServiceCollection AddIoTixApi(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddIoTixSimulations(configuration);
        services.AddOptions<ApiOptions>()
            .Bind(configuration.GetSection(ApiOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ApiOptions>, ApiOptionsValidator>());
        services.AddProblemDetails(static options => options.CustomizeProblemDetails = static context =>
        {
            // The framework's own answers (written by the status code pages under /api) get a readable detail.
            context.ProblemDetails.Detail ??= context.ProblemDetails.Status switch
            {
                StatusCodes.Status415UnsupportedMediaType => "the request body must be JSON (Content-Type: application/json)",
                StatusCodes.Status405MethodNotAllowed => $"{context.HttpContext.Request.Method} is not allowed on {context.HttpContext.Request.Path}",
                StatusCodes.Status404NotFound => $"no API route {context.HttpContext.Request.Path}; see /openapi/v1.json",
                _ => null,
            };
        });
        services.AddOpenApi(options =>
        {
            options.ShouldInclude = static description => description.RelativePath?.StartsWith("api/", StringComparison.Ordinal) ?? false;
            options.AddDocumentTransformer(static (document, _, _) =>
            {
                document.Info.Title = "IoTix API";
                document.Info.Description = "Device models, devices, groups (launch and dropout strategies) and statistics of the IoTix simulator. Errors are RFC 7807 problem details.";
                return Task.CompletedTask;
            });
        });
        return services;
    }

    /// <summary>
    /// Maps <c>/api/v1</c>, <c>/openapi/v1.json</c> and the reference page (<c>IoTix:Api:DocsPath</c>, default /docs), and
    /// turns the framework's empty error answers under /api into problem details.
    /// Every API route lives in one route group, so a later authorization policy applies in one place.
    /// </summary>
    public static RouteGroupBuilder MapIoTixApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);

        // Answers the framework writes without a body under /api (415 from a wrong Content-Type, 405, unknown routes)
        // become problem details too.
        app.UseWhen(static context => context.Request.Path.StartsWithSegments(Prefix, StringComparison.OrdinalIgnoreCase), static api => api.UseStatusCodePages());
        // Every route: an authenticated caller holding the route's permission (declared, or by convention; else denied),
        // and changes audited (IoTix.Web/Accounts, IoTix.Web/Audit).
        var api = app.MapGroup(Prefix).RequirePermissionsByConvention().AuditChanges();
        api.MapAuth();
        api.MapUsers();
        api.MapApiKeys();
        api.MapTenants();
        api.MapAudit();
        api.MapModels();
        api.MapDevices();
        api.MapGroups();
        api.MapStats();
        api.MapSettings();
        api.MapRegistry(); // /registry/devices (+ direct methods)
        api.MapShadows(); // /shadows/{id}
        api.MapMqttUsers(); // /mqtt-users (IoTix.Web/MqttUsers)
        api.MapHistory();
        api.MapDeadLetters();
        api.MapRules();

        app.MapOpenApi();
        var docsPath = app.Services.GetRequiredService<IOptions<ApiOptions>>().Value.DocsPath;
        app.MapScalarApiReference(docsPath, static options => options.WithTitle("IoTix API").WithOpenApiRoutePattern("/openapi/{documentName}.json"));
        return api;
    }
}
