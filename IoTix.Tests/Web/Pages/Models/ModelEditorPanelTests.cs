using System.Text.Json.Nodes;
using Bunit;
using IoTix.Core;
using IoTix.Core.Generators;
using IoTix.Core.Models;
using IoTix.Web.Components.Pages.Models;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace IoTix.Tests.Web.Pages.Models;

/// <summary>The model editor: the visual form and the JSON stay in sync both ways, validated live, with generator previews.</summary>
public sealed class ModelEditorPanelTests : IAsyncLifetime
{
    private const string Json = """
        {
          "id": "lab-sensor",
          "name": "Lab sensor",
          "type": "sensor",
          "protocol": "mqtt",
          "telemetry": [
            { "name": "temperature", "type": "number", "intervalMs": 1000,
              "generator": { "type": "random", "min": 10, "max": 30 } }
          ]
        }
        """;

    private readonly BunitContext _context = new();
    private readonly ServiceProvider _core;

    public ModelEditorPanelTests()
    {
        _context.JSInterop.Mode = JSRuntimeMode.Loose;
        _context.Services.AddMudServices();
        _core = new ServiceCollection().AddLogging().AddIoTixCore(new ConfigurationBuilder().Build()).BuildServiceProvider();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _context.DisposeAsync();
        await _core.DisposeAsync();
    }

    private ModelEditorViewModel NewViewModel(string json = Json) =>
        new(_core.GetRequiredService<DeviceModelValidator>(), _core.GetRequiredService<TelemetryGeneratorFactory>(), json);

    private IRenderedComponent<ModelEditorPanel> Render(ModelEditorViewModel vm)
    {
        _context.Render<MudPopoverProvider>();
        return _context.Render<ModelEditorPanel>(p => p.Add(c => c.Vm, vm));
    }

    private static string Field(string path) => $"div[data-path='{path}'] input";

    [Fact]
    public void Editing_a_form_field_rewrites_the_json_and_the_code_editor_text()
    {
        var vm = NewViewModel();
        var cut = Render(vm);

        cut.Find(Field("$.name")).Change("Renamed sensor");

        Assert.Equal("Renamed sensor", JsonNode.Parse(vm.Json)!["name"]!.GetValue<string>());
        var editor = cut.FindComponent<JsonCodeEditor>();
        Assert.Equal(vm.Json, editor.Instance.Value);
        Assert.Equal(1, editor.Instance.Revision);
        Assert.True(vm.IsValid);
    }

    [Fact]
    public async Task Editing_the_json_updates_the_form_fields()
    {
        var vm = NewViewModel();
        var cut = Render(vm);
        var edited = Json.Replace("\"Lab sensor\"", "\"Typed in JSON\"", StringComparison.Ordinal);

        await cut.InvokeAsync(() => cut.FindComponent<JsonCodeEditor>().Instance.ApplyTextAsync(edited));

        cut.WaitForAssertion(() => Assert.Equal("Typed in JSON", cut.Find(Field("$.name")).GetAttribute("value")));
        Assert.Equal(edited, vm.Json);
        Assert.Equal(0, vm.FormRevision);
    }

    [Fact]
    public async Task An_invalid_field_shows_the_error_with_its_path_in_the_list_and_at_the_field()
    {
        var vm = NewViewModel();
        var cut = Render(vm);
        await cut.Instance.ShowTabAsync(2);

        cut.Find(Field("$.telemetry[0].intervalMs")).Change("0");

        var errors = cut.Find("[data-testid=model-errors]").TextContent;
        Assert.Contains("$.telemetry[0].intervalMs", errors, StringComparison.Ordinal);
        Assert.Contains("must be at least 1 (found 0)", errors, StringComparison.Ordinal);
        cut.WaitForAssertion(() => Assert.Contains("must be at least 1", cut.Find("div[data-path='$.telemetry[0].intervalMs']").TextContent, StringComparison.Ordinal));
        Assert.False(vm.IsValid);
        Assert.Equal(0, ModelEditorViewModel.Int(vm.Document!["telemetry"]![0]!.AsObject(), "intervalMs"));
    }

    [Fact]
    public async Task Malformed_json_shows_the_syntax_error_and_pauses_the_form()
    {
        var vm = NewViewModel();
        var cut = Render(vm);

        await cut.InvokeAsync(() => cut.FindComponent<JsonCodeEditor>().Instance.ApplyTextAsync("{ \"id\": oops }"));

        cut.WaitForAssertion(() => Assert.Contains("malformed JSON", cut.Find("[data-testid=model-errors]").TextContent, StringComparison.Ordinal));
        Assert.Contains("$", cut.Find("[data-testid=model-errors] code").TextContent, StringComparison.Ordinal);
        Assert.NotNull(cut.Find("[data-testid=form-unavailable]"));
    }

    [Fact]
    public async Task Switching_the_generator_type_shows_the_fields_of_the_new_type()
    {
        var vm = NewViewModel();
        var cut = Render(vm);
        await cut.Instance.ShowTabAsync(2);
        Assert.NotEmpty(cut.FindAll(Field("$.telemetry[0].generator.max")));
        Assert.Empty(cut.FindAll(Field("$.telemetry[0].generator.step")));

        var picker = cut.FindComponents<MudSelect<string>>().Single(s => s.Instance.Label == "Generator");
        await cut.InvokeAsync(() => picker.Instance.ValueChanged.InvokeAsync("sequence"));

        cut.WaitForAssertion(() => Assert.Equal("sequence", cut.Find("[data-testid=generator-fields]").GetAttribute("data-generator-type")));
        Assert.NotEmpty(cut.FindAll(Field("$.telemetry[0].generator.step")));
        Assert.NotEmpty(cut.FindAll(Field("$.telemetry[0].generator.start")));
        Assert.Empty(cut.FindAll(Field("$.telemetry[0].generator.mean")));
        var generator = JsonNode.Parse(vm.Json)!["telemetry"]![0]!["generator"]!.AsObject();
        Assert.Equal("sequence", generator["type"]!.GetValue<string>());
        Assert.False(generator.ContainsKey("max"));
        Assert.True(vm.IsValid);
    }

    [Fact]
    public async Task The_normal_distribution_shows_mean_and_stddev_and_exponential_hides_stddev()
    {
        var vm = NewViewModel();
        var cut = Render(vm);
        await cut.Instance.ShowTabAsync(2);
        var distribution = cut.FindComponents<MudSelect<string>>().Single(s => s.Instance.Label == "Distribution");

        await cut.InvokeAsync(() => distribution.Instance.ValueChanged.InvokeAsync("normal"));
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll(Field("$.telemetry[0].generator.stddev"))));
        distribution = cut.FindComponents<MudSelect<string>>().Single(s => s.Instance.Label == "Distribution");
        await cut.InvokeAsync(() => distribution.Instance.ValueChanged.InvokeAsync("exponential"));

        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll(Field("$.telemetry[0].generator.stddev"))));
        Assert.NotEmpty(cut.FindAll(Field("$.telemetry[0].generator.mean")));
    }

    [Fact]
    public void The_preview_draws_sixty_values_of_the_generator_and_follows_its_settings()
    {
        var vm = NewViewModel();
        var before = vm.Previews[0]!;
        Assert.Equal(ModelEditorViewModel.PreviewPoints, before.Values.Count);
        Assert.All(before.Values, v => Assert.InRange(v, 10, 30));

        var generator = vm.Document!["telemetry"]![0]!["generator"]!.AsObject();
        vm.SetNumber(generator, "min", 100);
        vm.SetNumber(generator, "max", 101);

        var after = vm.Previews[0]!;
        Assert.All(after.Values, v => Assert.InRange(v, 100, 101));
        Assert.Equal(before.Values, NewViewModel().Previews[0]!.Values);
    }

    [Fact]
    public void An_item_with_errors_has_no_preview_until_fixed()
    {
        var vm = NewViewModel(Json.Replace("\"min\": 10", "\"min\": 50", StringComparison.Ordinal));

        Assert.Null(vm.Previews[0]);
        Assert.Contains(vm.Errors, e => e.Path == "$.telemetry[0].generator.min");
    }
}
