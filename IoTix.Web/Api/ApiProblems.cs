using IoTix.Core.Devices;
using IoTix.Web.Simulations;

namespace IoTix.Web.Api;

/// <summary>
/// Every API error as RFC 7807 problem details (<c>application/problem+json</c>), with the offending fields in
/// <c>errors</c> (field name or JSON path -> messages) and the engine's reason in <c>code</c>. The one place that
/// maps <see cref="EngineErrorCode"/> to HTTP status codes.
/// </summary>
internal static class ApiProblems
{
    public static int StatusOf(EngineErrorCode code) => code switch
    {
        EngineErrorCode.NotFound => StatusCodes.Status404NotFound,
        EngineErrorCode.AlreadyExists => StatusCodes.Status409Conflict,
        EngineErrorCode.InvalidState => StatusCodes.Status409Conflict,
        EngineErrorCode.LimitExceeded => StatusCodes.Status409Conflict,
        EngineErrorCode.NoAdapter => StatusCodes.Status422UnprocessableEntity,
        EngineErrorCode.InvalidModel => StatusCodes.Status422UnprocessableEntity,
        _ => StatusCodes.Status400BadRequest,
    };

    private static string TitleOf(int status) => status switch
    {
        StatusCodes.Status404NotFound => "Not found",
        StatusCodes.Status409Conflict => "Conflict",
        StatusCodes.Status415UnsupportedMediaType => "Unsupported media type",
        StatusCodes.Status422UnprocessableEntity => "Cannot be processed",
        _ => "Invalid request",
    };

    public static IResult From(SimulationError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var status = StatusOf(error.Code);
        var extensions = new Dictionary<string, object?>(StringComparer.Ordinal) { ["code"] = CodeName(error.Code) };
        return error.Errors is { Count: > 0 } errors
            ? Results.ValidationProblem(errors, error.Message, statusCode: status, title: TitleOf(status), extensions: extensions)
            : Results.Problem(error.Message, statusCode: status, title: TitleOf(status), extensions: extensions);
    }

    public static IResult NotFound(string what) =>
        From(new SimulationError(EngineErrorCode.NotFound, $"{what} not found"));

    /// <summary>400 naming every bad field.</summary>
    public static IResult Invalid(FieldErrors errors, string? detail = null)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var map = errors.ToDictionary();
        return From(new SimulationError(EngineErrorCode.InvalidArgument, detail ?? errors.Summary(), map));
    }

    public static IResult UnsupportedMediaType(string contentType) => Results.Problem(
        $"the request body must be JSON (Content-Type: application/json), was '{contentType}'",
        statusCode: StatusCodes.Status415UnsupportedMediaType,
        title: TitleOf(StatusCodes.Status415UnsupportedMediaType));

    private static string CodeName(EngineErrorCode code) => code switch
    {
        EngineErrorCode.NotFound => "notFound",
        EngineErrorCode.AlreadyExists => "alreadyExists",
        EngineErrorCode.InvalidArgument => "invalidArgument",
        EngineErrorCode.NoAdapter => "noAdapter",
        EngineErrorCode.InvalidModel => "invalidModel",
        EngineErrorCode.InvalidState => "invalidState",
        EngineErrorCode.LimitExceeded => "limitExceeded",
        _ => "error",
    };
}

/// <summary>Errors of a request by field, collected so one response names every bad field.</summary>
internal sealed class FieldErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool Any => _errors.Count > 0;

    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var messages))
        {
            _errors[field] = messages = [];
        }

        messages.Add(message);
    }

    public Dictionary<string, string[]> ToDictionary()
    {
        var result = new Dictionary<string, string[]>(_errors.Count, StringComparer.Ordinal);
        foreach (var (field, messages) in _errors)
        {
            result[field] = [.. messages];
        }

        return result;
    }

    /// <summary>"count must be at least 1; strategy must be one of ..." for the problem's detail.</summary>
    public string Summary()
    {
        var parts = new List<string>();
        foreach (var (field, messages) in _errors)
        {
            foreach (var message in messages)
            {
                parts.Add(field == "$" ? message : $"{field} {message}");
            }
        }

        return string.Join("; ", parts);
    }
}
