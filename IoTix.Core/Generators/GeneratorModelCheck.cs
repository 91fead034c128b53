using IoTix.Core.Models;

namespace IoTix.Core.Generators;

/// <summary>
/// Generator checks the model validator cannot know: custom handler names and their settings
/// (ecg ranges, scripts that do not compile), distribution parameters, type/generator fits,
/// replay columns and cell values. Checks the validator owns (unknown generator type, min &gt; max,
/// missing data files) are not repeated here.
/// </summary>
internal sealed class GeneratorModelCheck(TelemetryGeneratorFactory factory) : IDeviceModelCheck
{
    public void Check(DeviceModel model, ModelCheckContext context)
    {
        for (int i = 0; i < model.Telemetry.Count; i++)
        {
            foreach (var issue in factory.Validate(model.Telemetry[i], context.ModelDirectory))
            {
                if (!issue.Generic)
                {
                    context.Error($"$.telemetry[{i}].{issue.Field}", issue.Message);
                }
            }
        }
    }
}
