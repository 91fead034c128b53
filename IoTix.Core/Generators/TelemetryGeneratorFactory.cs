using System.Runtime.CompilerServices;
using IoTix.Core.Models;
using Microsoft.Extensions.Options;

namespace IoTix.Core.Generators;

/// <summary>
/// Creates telemetry generators. Call <see cref="Prepare"/> once per model (it parses settings,
/// loads replay files and compiles scripts), then <see cref="PreparedModelGenerators.Create"/>
/// for every device and item, which only allocates the small per-device generator.
/// Thread-safe; registered as a singleton by <c>AddIoTixCore</c>.
/// </summary>
public sealed class TelemetryGeneratorFactory
{
    private readonly CustomGeneratorRegistry _registry;
    private readonly ReplayDataCache _replay;
    private readonly ConditionalWeakTable<TelemetryDefinition, CachedItem> _items = new();

    public TelemetryGeneratorFactory(CustomGeneratorRegistry registry, IOptions<GeneratorOptions> options)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(options);
        _registry = registry;
        _replay = new ReplayDataCache(options.Value.ReplayMaxRows);
    }

    /// <summary>
    /// Does the per-model work for every telemetry item of <paramref name="model"/>. Problems are
    /// returned in <see cref="PreparedModelGenerators.Errors"/> (never thrown); a failed item's
    /// generators never produce a value.
    /// </summary>
    /// <param name="modelDirectory">Folder relative replay files resolve against (null: current directory).</param>
    public PreparedModelGenerators Prepare(DeviceModel model, string? modelDirectory)
    {
        ArgumentNullException.ThrowIfNull(model);
        var items = new ItemPreparation[model.Telemetry.Count];
        var errors = new List<ModelError>();
        var issues = new List<GeneratorIssue>();
        for (int i = 0; i < items.Length; i++)
        {
            issues.Clear();
            var prepared = PrepareItem(model.Telemetry[i], modelDirectory, issues);
            items[i] = prepared ?? InertPreparation.Instance;
            foreach (var issue in issues)
            {
                errors.Add(new ModelError(null, $"$.telemetry[{i}].{issue.Field}", issue.Message));
            }
        }

        return new PreparedModelGenerators(model, items, errors);
    }

    /// <summary>
    /// Creates one generator for one device without a prepared model; the per-item work is cached
    /// per definition, so repeated calls stay cheap. Throws <see cref="ArgumentException"/> for an
    /// invalid definition (validate models first, or use <see cref="Prepare"/> for errors as values).
    /// </summary>
    public TelemetryGenerator Create(TelemetryDefinition telemetry, in GeneratorContext context)
    {
        ArgumentNullException.ThrowIfNull(telemetry);
        if (!_items.TryGetValue(telemetry, out var cached) || cached.ModelDirectory != context.ModelDirectory)
        {
            var issues = new List<GeneratorIssue>();
            var prepared = PrepareItem(telemetry, context.ModelDirectory, issues);
            if (prepared is null)
            {
                throw new ArgumentException($"telemetry item '{telemetry.Name}': {Describe(issues)}", nameof(telemetry));
            }

            cached = new CachedItem(context.ModelDirectory, prepared);
            _items.AddOrUpdate(telemetry, cached);
        }

        return cached.Preparation.Create(context);
    }

    /// <summary>Problems of one item's generator definition (relative field and message); empty when it prepares.</summary>
    internal List<GeneratorIssue> Validate(TelemetryDefinition telemetry, string? modelDirectory)
    {
        var issues = new List<GeneratorIssue>();
        PrepareItem(telemetry, modelDirectory, issues);
        return issues;
    }

    private ItemPreparation? PrepareItem(TelemetryDefinition telemetry, string? modelDirectory, List<GeneratorIssue> issues)
    {
        string type = telemetry.Generator.Type;
        if (Is(type, "random"))
        {
            return RandomPreparation.TryCreate(telemetry, issues);
        }

        if (Is(type, "sequence"))
        {
            return SequencePreparation.TryCreate(telemetry, issues);
        }

        if (Is(type, "constant"))
        {
            return ConstantPreparation.TryCreate(telemetry, issues);
        }

        if (Is(type, "replay"))
        {
            return ReplayPreparation.TryCreate(telemetry, modelDirectory, _replay, issues);
        }

        if (Is(type, "custom"))
        {
            return PrepareCustom(telemetry, modelDirectory, issues);
        }

        issues.Add(new("generator.type", $"unknown generator type '{type}'; use random, sequence, constant, replay or custom", Generic: true));
        return null;
    }

    private ItemPreparation? PrepareCustom(TelemetryDefinition telemetry, string? modelDirectory, List<GeneratorIssue> issues)
    {
        string? name = telemetry.Generator.Handler;
        if (string.IsNullOrWhiteSpace(name))
        {
            issues.Add(new("generator.handler", "custom generators need a handler name", Generic: true));
            return null;
        }

        if (!_registry.TryGet(name, out var handler))
        {
            issues.Add(new("generator.handler", $"no custom generator handler '{name}' is registered (registered: {string.Join(", ", _registry.Names)})"));
            return null;
        }

        var errors = handler.Validate(telemetry);
        if (errors.Count > 0)
        {
            foreach (string error in errors)
            {
                issues.Add(new("generator", $"{name}: {error}"));
            }

            return null;
        }

        if (handler is IPreparingCustomGeneratorHandler preparing)
        {
            if (!preparing.TryPrepare(telemetry, modelDirectory, out var prepared, out string? error))
            {
                issues.Add(new("generator", $"{name}: {error}"));
                return null;
            }

            return new PreparedCustomItem(prepared);
        }

        return new PerDeviceCustomItem(handler, telemetry);
    }

    private static bool Is(string type, string name) => string.Equals(type, name, StringComparison.OrdinalIgnoreCase);

    private static string Describe(List<GeneratorIssue> issues)
    {
        var parts = new string[issues.Count];
        for (int i = 0; i < parts.Length; i++)
        {
            parts[i] = $"{issues[i].Field}: {issues[i].Message}";
        }

        return string.Join("; ", parts);
    }

    private sealed record CachedItem(string? ModelDirectory, ItemPreparation Preparation);
}
