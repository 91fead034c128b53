using System.CommandLine;
using IoTix.Core;
using IoTix.Core.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace IoTix.Web.Cli;

/// <summary>
/// <c>iotix validate &lt;file-or-folder&gt;...</c>: checks device model files with the host's own
/// validator (schema, semantic rules, the checks and custom generator handlers every feature
/// registers in <c>AddIoTixCore</c>) without starting the host. Prints every error as
/// <c>file: $.path: message</c> and one <c>file: ok (id)</c> line per valid file. Exit code 0 when
/// all are valid, 1 when any is not, 2 on usage errors (no path, or a path that does not exist).
/// </summary>
internal static class ValidateCommand
{
    public const int ExitValid = 0;
    public const int ExitInvalid = 1;
    public const int ExitUsage = 2;

    public static Command Create()
    {
        var paths = new Argument<string[]>("paths")
        {
            Description = "Model files or folders (folders: every *.json inside, recursively, except *.schema.json)",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var command = new Command("validate", "Validate device model files against the schema and the model rules")
        {
            paths,
        };
        command.SetAction(parseResult =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            return Run(parseResult.GetValue(paths) ?? [], output, error);
        });
        return command;
    }

    /// <summary>Validates <paramref name="paths"/>, writing results to <paramref name="output"/>; returns the exit code.</summary>
    public static int Run(IReadOnlyList<string> paths, TextWriter output, TextWriter error)
    {
        if (paths.Count == 0)
        {
            error.WriteLine("validate: give at least one model file or folder, e.g. iotix validate seed-models");
            return ExitUsage;
        }

        var files = new List<string>();
        foreach (var path in paths)
        {
            if (File.Exists(path))
            {
                files.Add(path);
            }
            else if (Directory.Exists(path))
            {
                var found = Directory.EnumerateFiles(path, "*.json", SearchOption.AllDirectories)
                    .Where(f => !f.EndsWith(".schema.json", StringComparison.OrdinalIgnoreCase))
                    .Order(StringComparer.Ordinal)
                    .ToList();
                if (found.Count == 0)
                {
                    error.WriteLine($"{path}: no *.json model files in this folder");
                }

                files.AddRange(found);
            }
            else
            {
                error.WriteLine($"{path}: no such file or folder");
                return ExitUsage;
            }
        }

        using var services = BuildServices();
        var validator = services.GetRequiredService<DeviceModelValidator>();
        int invalid = 0;
        foreach (var file in files)
        {
            var result = validator.ValidateFile(file);
            if (result.IsValid)
            {
                output.WriteLine($"{file}: ok ({result.Model.Id})");
                continue;
            }

            invalid++;
            foreach (var e in result.Errors)
            {
                output.WriteLine($"{file}: {e.Path}: {e.Message}");
            }
        }

        output.WriteLine(invalid == 0
            ? $"{files.Count} model file(s) valid"
            : $"{invalid} of {files.Count} model file(s) invalid");
        return invalid == 0 ? ExitValid : ExitInvalid;
    }

    /// <summary>The core's services as the host registers them (validator, checks, custom handlers), without the host.</summary>
    private static ServiceProvider BuildServices()
    {
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddIoTixCore(configuration);
        return services.BuildServiceProvider();
    }
}
