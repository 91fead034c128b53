using System.Text.Json.Nodes;
using IoTix.Core;
using IoTix.Core.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static IoTix.Tests.Core.Models.ModelTestSupport;

namespace IoTix.Tests.Core.Models;

/// <summary>The catalog on a real folder: load, hot reload, last good version, duplicate ids, API models, options.</summary>
public sealed class DeviceModelCatalogTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private readonly TempFolder _folder = new();
    private DeviceModelCatalog? _catalog;

    public void Dispose()
    {
        _catalog?.Dispose();
        _folder.Dispose();
    }

    private DeviceModelCatalog Catalog(bool watch = true)
    {
        _catalog = new DeviceModelCatalog(_folder.Path, ValidatorWithEcg(), TimeProvider.System,
            NullLogger<DeviceModelCatalog>.Instance, TimeSpan.FromMilliseconds(50));
        if (watch)
        {
            _catalog.StartWatching();
        }
        else
        {
            _catalog.Load();
        }

        return _catalog;
    }

    private static string Model(string id, string name = "Model") => Mutate(m =>
    {
        m["id"] = id;
        m["name"] = name;
    });

    /// <summary>Completes when <paramref name="condition"/> holds after a <c>Changed</c> event; subscribe before acting.</summary>
    private static Task WaitFor(IDeviceModelCatalog catalog, Func<bool> condition, string what)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChanged(object? sender, EventArgs e)
        {
            if (condition())
            {
                catalog.Changed -= OnChanged;
                done.TrySetResult();
            }
        }

        catalog.Changed += OnChanged;
        return Wait();

        async Task Wait()
        {
            try
            {
                await done.Task.WaitAsync(Timeout);
            }
            catch (TimeoutException)
            {
                var problems = string.Join("; ", catalog.Problems.SelectMany(p => p.Errors));
                throw new TimeoutException($"catalog did not reach: {what} within {Timeout}; problems: {problems}");
            }
        }
    }

    [Fact]
    public void Loads_every_model_file_of_the_folder_and_subfolders_but_not_the_schema()
    {
        _folder.Write("a.json", Model("model-a"));
        _folder.Write("sub/b.json", Model("model-b"));
        _folder.Write("device-model.schema.json", "{ \"not\": \"a model\" }");
        _folder.Write("notes.txt", "ignored");

        var catalog = Catalog(watch: false);

        Assert.Equal(["model-a", "model-b"], catalog.Models.Select(m => m.Id));
        Assert.Empty(catalog.Problems);
        Assert.True(catalog.TryGet("model-b", out var b));
        Assert.Equal("model-b", b.Id);
        Assert.True(catalog.TryGetSourceFile("model-b", out var file));
        Assert.Equal(_folder.File("sub/b.json"), file);
    }

    [Fact]
    public void Invalid_file_is_a_problem_with_every_error_and_is_not_loaded()
    {
        _folder.Write("bad.json", Mutate(m =>
        {
            m["connection"]!["qos"] = 3;
            Generator(m, 0)["min"] = 99;
        }));

        var catalog = Catalog(watch: false);

        Assert.Empty(catalog.Models);
        var problem = Assert.Single(catalog.Problems);
        Assert.Equal(_folder.File("bad.json"), problem.File);
        Assert.Equal(["$.connection.qos", "$.telemetry[0].generator.min"], problem.Errors.Select(e => e.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Missing_folder_is_reported_as_a_problem()
    {
        _catalog = new DeviceModelCatalog(Path.Combine(_folder.Path, "absent"), Validator(), TimeProvider.System,
            NullLogger<DeviceModelCatalog>.Instance, TimeSpan.FromMilliseconds(50));

        _catalog.StartWatching();

        Assert.Empty(_catalog.Models);
        Assert.Equal("the device model folder does not exist", Assert.Single(Assert.Single(_catalog.Problems).Errors).Message);
    }

    [Fact]
    public async Task Added_file_is_loaded_without_restart()
    {
        var catalog = Catalog();
        var loaded = WaitFor(catalog, () => catalog.TryGet("added", out _), "model 'added' loaded");

        _folder.Write("added.json", Model("added"));
        await loaded;

        Assert.Single(catalog.Models);
    }

    [Fact]
    public async Task Edited_file_replaces_the_model()
    {
        _folder.Write("m.json", Model("edited", "Before"));
        var catalog = Catalog();
        var changed = WaitFor(catalog, () => catalog.TryGet("edited", out var m) && m.Name == "After", "name After");

        _folder.Write("m.json", Model("edited", "After"));
        await changed;

        Assert.Equal("After", Assert.Single(catalog.Models).Name);
    }

    [Fact]
    public async Task Deleted_file_unloads_its_model()
    {
        _folder.Write("gone.json", Model("gone"));
        var catalog = Catalog();
        Assert.True(catalog.TryGet("gone", out _));
        var removed = WaitFor(catalog, () => catalog.Models.Count == 0, "no models");

        File.Delete(_folder.File("gone.json"));
        await removed;

        Assert.False(catalog.TryGet("gone", out _));
    }

    [Fact]
    public async Task Renamed_file_keeps_its_model_under_the_new_file()
    {
        _folder.Write("old.json", Model("renamed"));
        var catalog = Catalog();
        var moved = WaitFor(catalog, () => catalog.TryGetSourceFile("renamed", out var f) && f == _folder.File("new.json"), "model from new.json");

        File.Move(_folder.File("old.json"), _folder.File("new.json"));
        await moved;

        Assert.Single(catalog.Models);
        Assert.Empty(catalog.Problems);
    }

    [Fact]
    public async Task Broken_edit_keeps_the_last_good_version_and_a_fix_clears_the_problem()
    {
        _folder.Write("m.json", Model("kept", "Good"));
        var catalog = Catalog();

        var broken = WaitFor(catalog, () => catalog.Problems.Count == 1, "one problem");
        _folder.Write("m.json", "{ \"id\": \"kept\", \"name\": ");
        await broken;

        Assert.True(catalog.TryGet("kept", out var stillLoaded));
        Assert.Equal("Good", stillLoaded.Name);
        var problem = Assert.Single(catalog.Problems);
        Assert.Equal(_folder.File("m.json"), problem.File);
        Assert.StartsWith("malformed JSON at line 1", Assert.Single(problem.Errors).Message, StringComparison.Ordinal);

        var fixedUp = WaitFor(catalog, () => catalog.Problems.Count == 0, "no problems");
        _folder.Write("m.json", Model("kept", "Fixed"));
        await fixedUp;

        Assert.True(catalog.TryGet("kept", out var fixedModel));
        Assert.Equal("Fixed", fixedModel.Name);
    }

    [Fact]
    public async Task Second_file_with_the_same_id_is_an_error_and_takes_over_when_the_first_goes()
    {
        _folder.Write("1-first.json", Model("same", "First"));
        _folder.Write("2-second.json", Model("same", "Second"));
        var catalog = Catalog();

        Assert.Equal("First", Assert.Single(catalog.Models).Name);
        var problem = Assert.Single(catalog.Problems);
        Assert.Equal(_folder.File("2-second.json"), problem.File);
        var error = Assert.Single(problem.Errors);
        Assert.Equal("$.id", error.Path);
        Assert.Equal($"duplicate model id 'same': already defined in {_folder.File("1-first.json")}", error.Message);

        var takeover = WaitFor(catalog, () => catalog.TryGet("same", out var m) && m.Name == "Second", "second takes over");
        File.Delete(_folder.File("1-first.json"));
        await takeover;

        Assert.Empty(catalog.Problems);
    }

    [Fact]
    public async Task Changed_data_file_revalidates_the_models_that_use_it()
    {
        _folder.Write("data/r.csv", "timestamp,value\n1,2\n");
        _folder.Write("replay.json", Mutate(m =>
        {
            m["id"] = "replay";
            m["telemetry"]![0]!["generator"] = new JsonObject { ["type"] = "replay", ["dataFile"] = "data/r.csv", ["column"] = "value" };
        }));
        var catalog = Catalog();
        Assert.Empty(catalog.Problems);
        var problem = WaitFor(catalog, () => catalog.Problems.Count == 1, "replay column problem");

        _folder.Write("data/r.csv", "timestamp,reading\n1,2\n");
        await problem;

        Assert.Equal("$.telemetry[0].generator.column", Assert.Single(Assert.Single(catalog.Problems).Errors).Path);
        Assert.True(catalog.TryGet("replay", out _));
    }

    [Fact]
    public void Polling_fallback_rescans_on_the_clock()
    {
        var clock = new FakeTimeProvider();
        _catalog = new DeviceModelCatalog(_folder.Path, Validator(), clock, NullLogger<DeviceModelCatalog>.Instance, TimeSpan.FromMilliseconds(50));
        _catalog.StartPolling(TimeSpan.FromSeconds(2));
        _folder.Write("late.json", Model("late"));

        clock.Advance(TimeSpan.FromSeconds(1));
        bool beforeTick = _catalog.TryGet("late", out _);
        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.False(beforeTick);
        Assert.True(_catalog.TryGet("late", out _));
    }

    [Fact]
    public void Api_models_share_the_catalog_and_cannot_take_a_file_models_id()
    {
        _folder.Write("file.json", Model("from-file"));
        var catalog = Catalog(watch: false);
        int changes = 0;
        catalog.Changed += (_, _) => changes++;

        var stored = catalog.Upsert(Model("from-api"));
        var clash = catalog.Upsert(Model("from-file"));
        var invalid = catalog.Upsert("{ \"id\": \"x\" }");

        Assert.True(stored.IsValid);
        Assert.Equal(["from-api", "from-file"], catalog.Models.Select(m => m.Id));
        Assert.False(clash.IsValid);
        Assert.Equal("$.id", Assert.Single(clash.Errors).Path);
        Assert.False(invalid.IsValid);
        Assert.Equal(1, changes);
        Assert.Equal(ModelRemoval.DefinedByFile, catalog.Remove("from-file"));
        Assert.Equal(ModelRemoval.NotFound, catalog.Remove("nothing"));
        Assert.Equal(ModelRemoval.Removed, catalog.Remove("from-api"));
        Assert.Equal(["from-file"], catalog.Models.Select(m => m.Id));
        Assert.Equal(2, changes);
    }

    [Fact]
    public async Task File_added_with_an_api_models_id_is_the_duplicate()
    {
        var catalog = Catalog();
        Assert.True(catalog.Upsert(Model("shared", "Api")).IsValid);
        var problem = WaitFor(catalog, () => catalog.Problems.Count == 1, "duplicate problem");

        _folder.Write("shared.json", Model("shared", "File"));
        await problem;

        Assert.Equal("Api", Assert.Single(catalog.Models).Name);
        Assert.Contains("added through the API", Assert.Single(Assert.Single(catalog.Problems).Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Snapshot_taken_before_a_change_stays_unchanged()
    {
        _folder.Write("a.json", Model("a"));
        var catalog = Catalog(watch: false);
        var before = catalog.Models;

        catalog.Upsert(Model("b"));

        Assert.Single(before);
        Assert.Equal(2, catalog.Models.Count);
    }

    // ---- options and registration ----------------------------------------------------------

    private static DeviceModelOptions ResolveOptions(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddIoTixCore(configuration);
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<DeviceModelOptions>>().Value;
    }

    [Fact]
    public void Model_path_defaults_to_seed_models() =>
        Assert.Equal("seed-models", ResolveOptions([]).Path);

    [Fact]
    public void Model_path_comes_from_configuration() =>
        Assert.Equal("/models/a", ResolveOptions(new() { ["IoTix:Models:Path"] = "/models/a" }).Path);

    [Fact]
    public void DEVICE_MODEL_PATH_overrides_the_configured_path() =>
        Assert.Equal("/models/env", ResolveOptions(new() { ["IoTix:Models:Path"] = "/models/a", ["DEVICE_MODEL_PATH"] = "/models/env" }).Path);

    [Fact]
    public void Invalid_options_fail_naming_the_config_key()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => ResolveOptions(new() { ["IoTix:Models:ReloadDebounceMs"] = "-5" }));

        Assert.Contains("IoTix:Models:ReloadDebounceMs", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Relative_model_path_resolves_against_the_content_root() =>
        Assert.Equal(Path.GetFullPath("/srv/iotix/my-models"), DeviceModelServiceCollectionExtensions.ResolveFolder("my-models", "/srv/iotix"));

    [Fact]
    public void Catalog_from_AddIoTixCore_loads_the_configured_folder()
    {
        _folder.Write("a.json", Model("via-di"));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["DEVICE_MODEL_PATH"] = _folder.Path }).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddIoTixCore(configuration);
        using var provider = services.BuildServiceProvider();

        var catalog = provider.GetRequiredService<IDeviceModelCatalog>();

        Assert.Same(catalog, provider.GetRequiredService<IDeviceModelRegistry>());
        Assert.True(catalog.TryGet("via-di", out _));
    }
}
