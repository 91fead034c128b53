using System.Diagnostics.CodeAnalysis;

namespace IoTix.Core.Models;

/// <summary>
/// The outcome of validating one model: the model when it is valid, otherwise every error found.
/// A model with any error is never handed out, so nothing loads half a model.
/// </summary>
public sealed class ModelValidationResult
{
    private ModelValidationResult(DeviceModel? model, string? modelId, string? file, IReadOnlyList<ModelError> errors)
    {
        Model = model;
        ModelId = modelId;
        File = file;
        Errors = errors;
    }

    /// <summary>The model; null unless <see cref="IsValid"/>.</summary>
    public DeviceModel? Model { get; }

    /// <summary>The model's id as written, when it could be read (also for invalid models).</summary>
    public string? ModelId { get; }

    /// <summary>The model file, or null for a model from the API.</summary>
    public string? File { get; }

    public IReadOnlyList<ModelError> Errors { get; }

    [MemberNotNullWhen(true, nameof(Model))]
    public bool IsValid => Model is not null;

    public static ModelValidationResult Valid(DeviceModel model, string? file)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new(model, model.Id, file, []);
    }

    public static ModelValidationResult Invalid(string? modelId, string? file, IReadOnlyList<ModelError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (errors.Count == 0)
        {
            throw new ArgumentException("an invalid result needs at least one error", nameof(errors));
        }

        return new(null, modelId, file, errors);
    }
}
