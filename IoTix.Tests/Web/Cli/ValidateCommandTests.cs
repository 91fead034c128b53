using IoTix.Tests.Core.Models;
using IoTix.Web.Cli;

namespace IoTix.Tests.Web.Cli;

/// <summary><c>iotix validate</c>: output lines and exit codes, run in process with captured output.</summary>
public sealed class ValidateCommandTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static async Task<(int Exit, string Output, string Error)> Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int exit = await IoTixCommandLine.InvokeAsync(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    private static string Valid(string id) => ModelTestSupport.Mutate(m => m["id"] = id);

    [Fact]
    public async Task Valid_folder_exits_0_with_one_ok_line_per_file()
    {
        var a = _folder.Write("a.json", Valid("model-a"));
        var b = _folder.Write("nested/b.json", Valid("model-b"));
        _folder.Write("device-model.schema.json", "{}");

        var (exit, output, _) = await Run("validate", _folder.Path);

        Assert.Equal(0, exit);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Contains($"{a}: ok (model-a)", lines);
        Assert.Contains($"{b}: ok (model-b)", lines);
        Assert.DoesNotContain(lines, l => l.Contains("schema.json", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Invalid_file_prints_file_path_and_message_per_error_and_exits_1()
    {
        var bad = _folder.Write("bad.json", ModelTestSupport.Mutate(m =>
        {
            m["connection"]!["qos"] = 3;
            m["telemetry"]![1]!.AsObject().Remove("name");
        }));
        var good = _folder.Write("good.json", Valid("good"));

        var (exit, output, _) = await Run("validate", bad, good);

        Assert.Equal(1, exit);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Contains($"{bad}: $.connection.qos: must be at most 2 (found 3)", lines);
        Assert.Contains($"{bad}: $.telemetry[1]: required property 'name' is missing", lines);
        Assert.Contains($"{good}: ok (good)", lines);
    }

    [Fact]
    public async Task Malformed_file_reports_its_line_and_position()
    {
        var bad = _folder.Write("bad.json", "{\n  \"id\": ,\n}");

        var (exit, output, _) = await Run("validate", bad);

        Assert.Equal(1, exit);
        Assert.StartsWith($"{bad}: $: malformed JSON at line 2, position 9:", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_path_is_a_usage_error()
    {
        var (exit, _, error) = await Run("validate");

        Assert.Equal(2, exit);
        Assert.Contains("give at least one model file or folder", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Path_that_does_not_exist_is_a_usage_error()
    {
        var missing = _folder.File("missing.json");

        var (exit, _, error) = await Run("validate", missing);

        Assert.Equal(2, exit);
        Assert.Contains($"{missing}: no such file or folder", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_lists_the_validate_command_with_its_description()
    {
        var (exit, output, _) = await Run("--help");

        Assert.Equal(0, exit);
        Assert.Contains("validate <paths>", output, StringComparison.Ordinal);
        Assert.Contains("Validate device model files", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_option_is_a_usage_error_with_exit_code_2_and_names_the_option()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await IoTixCommandLine.InvokeAsync(["validate", "seed-models", "--no-such-option"], output, error);

        Assert.Equal(2, exit);
        Assert.Contains("--no-such-option", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_is_a_command_not_a_host_option() =>
        Assert.True(IoTixCommandLine.IsCommand(["validate", "seed-models"]));
}
