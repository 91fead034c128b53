using System.Diagnostics.CodeAnalysis;

namespace IoTix.Core.Generators;

/// <summary>
/// The custom generator handlers known to the process, by name (case-insensitive): the built-in
/// <c>ecg_generator</c> and <c>script</c>, plus every <see cref="ICustomGeneratorHandler"/> a
/// plugin registers in DI (<c>services.AddSingleton&lt;ICustomGeneratorHandler, MyHandler&gt;()</c>).
/// When two handlers share a name, the one registered last wins, so a plugin can replace a built-in.
/// </summary>
public sealed class CustomGeneratorRegistry
{
    private readonly Dictionary<string, ICustomGeneratorHandler> _handlers;

    public CustomGeneratorRegistry(IEnumerable<ICustomGeneratorHandler> handlers)
    {
        ArgumentNullException.ThrowIfNull(handlers);
        _handlers = new Dictionary<string, ICustomGeneratorHandler>(StringComparer.OrdinalIgnoreCase);
        foreach (var handler in handlers)
        {
            _handlers[handler.Name] = handler;
        }

        Names = [.. _handlers.Keys.Order(StringComparer.Ordinal)];
    }

    /// <summary>Registered handler names, sorted.</summary>
    public IReadOnlyList<string> Names { get; }

    public bool TryGet(string name, [NotNullWhen(true)] out ICustomGeneratorHandler? handler) =>
        _handlers.TryGetValue(name, out handler);
}
