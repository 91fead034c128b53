using System.Text.Json.Nodes;
using IoTix.Core.Models;

namespace IoTix.Web.Cli.Run;

/// <summary>A model ready to run, and where it came from (a file path or <c>catalog</c>).</summary>
internal sealed record LoadedModel(DeviceModel Model, string Source);

/// <summary>
/// Finds the model of a run: a file path (anything that exists as a file or ends in <c>.json</c>) is
/// validated with the host's validator; anything else is a catalog id from the model folder.
/// <c>--url</c> replaces the model's <c>connection.url</c> and is validated with the model.
/// Errors are lines <c>file: $.path: message</c>, as <c>iotix validate</c> prints them.
/// </summary>
internal static class RunModelLoader
{
    public static bool TryLoad(RunSettings settings, DeviceModelValidator validator, IDeviceModelCatalog catalog, out LoadedModel? loaded, out IReadOnlyList<string> errors)
    {
        loaded = null;
        var reference = settings.Model;
        DeviceModel model;
        string source;
        if (File.Exists(reference) || reference.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            var path = Path.GetFullPath(reference);
            if (!File.Exists(path))
            {
                errors = [$"{reference}: no such model file"];
                return false;
            }

            var result = validator.ValidateFile(path);
            if (!result.IsValid)
            {
                errors = Lines(reference, result.Errors);
                return false;
            }

            model = result.Model!;
            source = reference;
        }
        else if (catalog.TryGet(reference, out var found))
        {
            model = found;
            source = "catalog";
        }
        else
        {
            var known = new List<string>();
            foreach (var m in catalog.Models)
            {
                known.Add(m.Id);
            }

            var problem = FindProblem(catalog, reference);
            errors = problem is not null
                ? [$"--model: '{reference}' is in the model folder but invalid:", .. Lines(problem.File, problem.Errors)]
                : [$"--model: no model '{reference}' in the model folder and no such file (models: {(known.Count == 0 ? "none" : string.Join(", ", known))})"];
            return false;
        }

        if (settings.Url is not null && model.Protocol == DeviceProtocol.Mqtt)
        {
            errors = [$"--url: model '{model.Id}' speaks mqtt; give the broker with --broker mqtt://host:port"];
            return false;
        }

        if (settings.Broker is not null && model.Protocol != DeviceProtocol.Mqtt)
        {
            errors = [$"--broker: model '{model.Id}' speaks {model.Protocol.ToString().ToLowerInvariant()}; give its endpoint with --url"];
            return false;
        }

        bool tls = settings.Broker is { Tls: true } && model.Connection.Tls is not { Enabled: true };
        if (settings.Url is not null || tls)
        {
            // Patch the model's JSON and validate it again, so the override meets the model rules.
            var json = JsonNode.Parse(DeviceModelSerializer.Serialize(model, indented: false))!.AsObject();
            var connection = json["connection"] as JsonObject ?? [];
            if (settings.Url is not null)
            {
                connection["url"] = settings.Url;
            }

            if (tls)
            {
                var tlsNode = connection["tls"] as JsonObject ?? [];
                tlsNode["enabled"] = true;
                connection["tls"] = tlsNode;
            }

            json["connection"] = connection;
            var file = source == "catalog" ? null : source;
            var patched = validator.Validate(json.ToJsonString(), file, model.SourceDirectory);
            if (!patched.IsValid)
            {
                errors = Lines(file ?? (settings.Url is not null ? "--url" : "--broker"), patched.Errors);
                return false;
            }

            model = patched.Model!;
        }

        loaded = new LoadedModel(model, source);
        errors = [];
        return true;
    }

    private static ModelLoadProblem? FindProblem(IDeviceModelCatalog catalog, string id)
    {
        foreach (var problem in catalog.Problems)
        {
            if (string.Equals(Path.GetFileNameWithoutExtension(problem.File), id, StringComparison.Ordinal))
            {
                return problem;
            }
        }

        return null;
    }

    private static string[] Lines(string file, IReadOnlyList<ModelError> errors)
    {
        var lines = new string[errors.Count];
        for (int i = 0; i < lines.Length; i++)
        {
            lines[i] = $"{file}: {errors[i].Path}: {errors[i].Message}";
        }

        return lines;
    }
}
