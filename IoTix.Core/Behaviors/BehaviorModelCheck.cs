using IoTix.Core.Models;

namespace IoTix.Core.Behaviors;

/// <summary>
/// Validates a model's behaviours for the model validator: condition parse errors (with position),
/// unknown identifiers and placeholders, bad cron expressions, unknown trigger and action types and
/// missing fields, each at its JSON path (<c>$.behaviors[0].trigger.condition</c>).
/// </summary>
internal sealed class BehaviorModelCheck : IDeviceModelCheck
{
    public void Check(DeviceModel model, ModelCheckContext context)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(context);
        var errors = new List<(string Path, string Message)>();
        BehaviorCompiler.Compile(model, errors);
        foreach (var (path, message) in errors)
        {
            context.Error(path, message);
        }
    }
}
