namespace IoTix.Core.Models;

/// <summary>The loaded device models of a process (from the model folder, and from the API later).</summary>
public interface IDeviceModelCatalog
{
    /// <summary>The valid models, ordered by id. A snapshot: safe to enumerate while models reload.</summary>
    IReadOnlyList<DeviceModel> Models { get; }

    bool TryGet(string id, out DeviceModel model);

    /// <summary>Files that failed to load, with every error; a failing file keeps its last good model loaded.</summary>
    IReadOnlyList<ModelLoadProblem> Problems { get; }

    /// <summary>Raised after any change to <see cref="Models"/> or <see cref="Problems"/>.</summary>
    event EventHandler? Changed;
}

/// <summary>One validation error: where (file and JSON path) and what.</summary>
/// <param name="File">The model file, or null for a model from the API.</param>
/// <param name="Path">JSON path of the offending element, e.g. <c>$.telemetry[1].generator.min</c>.</param>
/// <param name="Message">What is wrong, in words.</param>
public sealed record ModelError(string? File, string Path, string Message)
{
    public override string ToString() => File is null ? $"{Path}: {Message}" : $"{File}: {Path}: {Message}";
}

/// <summary>A model file that failed to load, and why.</summary>
public sealed record ModelLoadProblem(string File, IReadOnlyList<ModelError> Errors);
