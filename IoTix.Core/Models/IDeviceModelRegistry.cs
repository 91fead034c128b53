namespace IoTix.Core.Models;

/// <summary>
/// The model catalog's write side, for models that do not come from the model folder (the REST
/// API). Models from files are edited through their files; the two never share an id.
/// </summary>
public interface IDeviceModelRegistry : IDeviceModelCatalog
{
    /// <summary>Validates <paramref name="json"/> and, when valid, adds or replaces the model with its id.</summary>
    ModelValidationResult Upsert(string json);

    /// <summary>Validates <paramref name="model"/> and, when valid, adds or replaces it.</summary>
    ModelValidationResult Upsert(DeviceModel model);

    /// <summary>Removes a model added through this interface.</summary>
    ModelRemoval Remove(string id);

    /// <summary>The file a model was loaded from; null for a model added through the API.</summary>
    bool TryGetSourceFile(string id, out string? file);
}

/// <summary>Outcome of <see cref="IDeviceModelRegistry.Remove"/>.</summary>
public enum ModelRemoval
{
    Removed,
    NotFound,

    /// <summary>The model comes from a file in the model folder; delete or edit the file instead.</summary>
    DefinedByFile,
}
