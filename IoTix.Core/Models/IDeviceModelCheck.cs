namespace IoTix.Core.Models;

/// <summary>
/// A validation rule contributed by a feature (generators, behaviours, adapters) and run by the
/// model validator after the schema check; registered in DI as <c>IDeviceModelCheck</c>.
/// </summary>
public interface IDeviceModelCheck
{
    /// <summary>Adds an error for every problem found in <paramref name="model"/>.</summary>
    void Check(DeviceModel model, ModelCheckContext context);
}

/// <summary>Where a model under check comes from, and where its errors go.</summary>
public sealed class ModelCheckContext(string? file, string? modelDirectory)
{
    private readonly List<ModelError> _errors = [];

    /// <summary>The model file, or null for a model from the API.</summary>
    public string? File { get; } = file;

    /// <summary>Folder that relative data files resolve against (null: no files may be referenced).</summary>
    public string? ModelDirectory { get; } = modelDirectory;

    public IReadOnlyList<ModelError> Errors => _errors;

    /// <summary>Records an error at JSON path <paramref name="path"/> (e.g. <c>$.behaviors[0].trigger.condition</c>).</summary>
    public void Error(string path, string message) => _errors.Add(new ModelError(File, path, message));
}
