using System.Text.Json;
using System.Text.Json.Nodes;
using IoTix.Core.Generators;
using IoTix.Core.Models;

namespace IoTix.Tests.Core.Models;

/// <summary>Shared helpers of the device model tests: a valid base model, a test custom handler, folders.</summary>
internal static class ModelTestSupport
{
    /// <summary>A valid model exercising most of the format; tests mutate it to break one rule at a time.</summary>
    public const string BaseModel = """
        {
          "id": "test-model",
          "name": "Test Model",
          "version": "1.2.3",
          "type": "actuator",
          "protocol": "mqtt",
          "connection": {
            "broker": "localhost",
            "port": 1883,
            "clientIdPattern": "dev-${deviceId}",
            "topicPattern": "devices/${deviceId}/telemetry",
            "qos": 1
          },
          "telemetry": [
            { "name": "temperature", "type": "number", "unit": "celsius",
              "generator": { "type": "random", "min": 10, "max": 30, "distribution": "normal", "mean": 20, "stddev": 2 }, "intervalMs": 1000 },
            { "name": "counter", "type": "integer",
              "generator": { "type": "sequence", "start": 0, "step": 1, "min": 0, "max": 100, "wrap": true }, "intervalMs": 1000 },
            { "name": "status", "type": "string", "generator": { "type": "constant", "value": "ok" }, "intervalMs": 5000 }
          ],
          "state": { "power": "on" },
          "commands": [
            { "name": "setPower", "topic": "devices/${deviceId}/commands/power",
              "parameters": [ { "name": "power", "type": "string", "required": true } ] }
          ],
          "behaviors": [
            { "name": "powerOnCommand", "trigger": { "type": "command", "command": "setPower" },
              "action": { "type": "setState", "target": "power", "value": "${power}" } },
            { "name": "hot", "trigger": { "type": "condition", "condition": "temperature > 28" },
              "action": { "type": "publish", "topic": "devices/${deviceId}/alerts", "payload": { "t": "${temperature}", "power": "${power}" } } }
          ]
        }
        """;

    public static DeviceModelValidator Validator(params ICustomGeneratorHandler[] handlers) => new([], handlers);

    public static DeviceModelValidator ValidatorWithEcg() => Validator(new TestEcgHandler());

    /// <summary>The base model with <paramref name="mutate"/> applied, as JSON text.</summary>
    public static string Mutate(Action<JsonObject> mutate)
    {
        var root = JsonNode.Parse(BaseModel)!.AsObject();
        mutate(root);
        return root.ToJsonString();
    }

    public static JsonObject Generator(JsonObject root, int telemetry) =>
        root["telemetry"]![telemetry]!["generator"]!.AsObject();

    /// <summary>The repository's seed-models folder.</summary>
    public static string SeedModelsFolder()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "IoTix.sln")))
        {
            dir = dir.Parent;
        }

        return dir is null
            ? throw new DirectoryNotFoundException("IoTix.sln not found above " + AppContext.BaseDirectory)
            : Path.Combine(dir.FullName, "seed-models");
    }

    public static string Describe(ModelValidationResult result) =>
        string.Join(Environment.NewLine, result.Errors.Select(e => e.ToString()));
}

/// <summary>A temporary folder deleted at dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "iotix-models-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string Write(string name, string text)
    {
        var path = File(name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A watcher may still hold the folder for a moment; the OS temp cleaner gets it later.
        }
    }
}

/// <summary>Stands in for the real <c>ecg_generator</c> handler: accepts a config with a positive <c>samples</c>.</summary>
internal sealed class TestEcgHandler : ICustomGeneratorHandler
{
    public string Name => "ecg_generator";

    public IReadOnlyList<string> Validate(TelemetryDefinition telemetry)
    {
        var config = telemetry.Generator.Config;
        if (config is not { ValueKind: JsonValueKind.Object } c || !c.TryGetProperty("samples", out var samples)
            || !samples.TryGetInt32(out int n) || n <= 0)
        {
            return ["config.samples must be a positive whole number"];
        }

        return [];
    }

    public TelemetryGenerator Create(TelemetryDefinition telemetry, in GeneratorContext context) => new Silence();

    private sealed class Silence : TelemetryGenerator
    {
        public override void Next(ref TelemetryValue value, long nowMs) => value.HasValue = true;
    }
}
