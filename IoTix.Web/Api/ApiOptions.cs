using Microsoft.Extensions.Options;

namespace IoTix.Web.Api;

/// <summary>REST API settings (section <c>IoTix:Api</c>).</summary>
public sealed class ApiOptions
{
    public const string SectionName = "IoTix:Api";

    /// <summary>Items per page when a list request names no size (<c>IoTix:Api:DefaultPageSize</c>).</summary>
    public int DefaultPageSize { get; set; } = 100;

    /// <summary>Largest <c>pageSize</c>/<c>limit</c> a list request may ask for (<c>IoTix:Api:MaxPageSize</c>).</summary>
    public int MaxPageSize { get; set; } = 1000;

    /// <summary>Path of the interactive API reference (<c>IoTix:Api:DocsPath</c>); the OpenAPI document is at /openapi/v1.json.</summary>
    public string DocsPath { get; set; } = "/docs";
}

internal sealed class ApiOptionsValidator : IValidateOptions<ApiOptions>
{
    public ValidateOptionsResult Validate(string? name, ApiOptions options)
    {
        var failures = new List<string>();
        if (options.MaxPageSize is < 1 or > 100_000)
        {
            failures.Add($"{ApiOptions.SectionName}:MaxPageSize must be between 1 and 100000 (was {options.MaxPageSize})");
        }

        if (options.DefaultPageSize < 1 || options.DefaultPageSize > options.MaxPageSize)
        {
            failures.Add($"{ApiOptions.SectionName}:DefaultPageSize must be between 1 and {ApiOptions.SectionName}:MaxPageSize ({options.MaxPageSize}) (was {options.DefaultPageSize})");
        }

        if (string.IsNullOrWhiteSpace(options.DocsPath) || !options.DocsPath.StartsWith('/') || options.DocsPath.StartsWith("/api/", StringComparison.OrdinalIgnoreCase))
        {
            failures.Add($"{ApiOptions.SectionName}:DocsPath must be a path starting with '/' outside /api (was '{options.DocsPath}')");
        }

        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }
}
