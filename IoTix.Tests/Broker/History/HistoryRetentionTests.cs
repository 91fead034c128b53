using IoTix.Broker.History;
using IoTix.Web.Components.Pages.Settings;
using IoTix.Web.History;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using MQTTnet;
using MQTTnet.Protocol;

namespace IoTix.Tests.Broker.History;

/// <summary>Retention (FR-030): configured, from HISTORY_RETENTION, changed on the Settings page without a restart; the size cap.</summary>
public sealed class HistoryRetentionTests
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-03-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public async Task Retention_saved_on_the_settings_page_applies_at_the_next_purge_without_a_restart()
    {
        await using var host = Start(new() { ["Broker:History:Topics:0"] = "keep/#" });
        await PublishAsync(host, "keep/a", "old");
        _clock.Advance(TimeSpan.FromHours(13));
        await PublishAsync(host, "keep/a", "new");
        var purge = host.Services.GetRequiredService<HistoryRetentionPurge>();

        var underDefault = await purge.PurgeOnceAsync(CancellationToken.None);
        var settings = host.Services.GetRequiredService<ConsoleSettingsService>();
        var values = await settings.LoadAsync();
        var saved = await settings.SaveAsync(values! with { HistoryRetention = HistoryRetention.Hours12 });
        var underSaved = await purge.PurgeOnceAsync(CancellationToken.None);

        Assert.Equal(0, underDefault);
        Assert.True(saved.Succeeded);
        Assert.Equal(1, underSaved);
        var page = await host.Http.GetJsonAsync("/api/v1/history?topic=keep/%23");
        Assert.Equal(["new"], page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("message").GetProperty("payloadText").GetString()));
        Assert.Equal("12h", (await host.Http.GetJsonAsync("/api/v1/history/status")).GetProperty("retention").GetString());
    }

    [Fact]
    public async Task History_retention_environment_variable_wins_over_the_configuration_key_and_is_what_the_settings_page_shows()
    {
        await using var host = Start(new()
        {
            ["Broker:History:Topics:0"] = "env/#",
            ["Broker:History:Retention"] = "12h",
            [HistoryOptions.RetentionEnvironmentVariable] = "48h",
        });
        await PublishAsync(host, "env/a", "kept for two days");
        var purge = host.Services.GetRequiredService<HistoryRetentionPurge>();

        _clock.Advance(TimeSpan.FromHours(30));
        await purge.PurgeOnceAsync(CancellationToken.None);
        var after30Hours = await CountAsync(host, "env/%23");
        _clock.Advance(TimeSpan.FromHours(19));
        await purge.PurgeOnceAsync(CancellationToken.None);
        var after49Hours = await CountAsync(host, "env/%23");

        Assert.Equal(1, after30Hours);
        Assert.Equal(0, after49Hours);
        Assert.Equal(HistoryRetention.Hours48, (await host.Services.GetRequiredService<ConsoleSettingsService>().LoadAsync())!.HistoryRetention);
    }

    [Fact]
    public async Task Purge_keeps_only_the_newest_messages_beyond_the_size_cap()
    {
        await using var host = Start(new() { ["Broker:History:Topics:0"] = "cap/#", ["Broker:History:MaxMessages"] = "3" });
        for (var i = 0; i < 5; i++)
        {
            await PublishAsync(host, "cap/a", $"m{i}");
        }

        var deleted = await host.Services.GetRequiredService<HistoryRetentionPurge>().PurgeOnceAsync(CancellationToken.None);

        Assert.Equal(2, deleted);
        var page = await host.Http.GetJsonAsync("/api/v1/history?topic=cap/%23");
        Assert.Equal(["m2", "m3", "m4"], page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("message").GetProperty("payloadText").GetString()));
    }

    [Fact]
    public Task Invalid_retention_fails_the_start_naming_the_setting_and_the_allowed_values()
    {
        var error = Assert.ThrowsAny<Exception>(() => Start(new() { [HistoryOptions.RetentionEnvironmentVariable] = "3d" }));

        var validation = FindValidationError(error);
        Assert.Contains("HISTORY_RETENTION", validation.Message, StringComparison.Ordinal);
        Assert.Contains("12h, 24h, 48h, 7d", validation.Message, StringComparison.Ordinal);
        return Task.CompletedTask;
    }

    private static OptionsValidationException FindValidationError(Exception error)
    {
        for (Exception? current = error; current is not null; current = current.InnerException)
        {
            if (current is OptionsValidationException validation)
            {
                return validation;
            }

            if (current is AggregateException aggregate && aggregate.InnerExceptions.Count > 0)
            {
                return FindValidationError(aggregate.InnerExceptions[0]);
            }
        }

        throw new Xunit.Sdk.XunitException($"no options validation error in {error}");
    }

    private static async Task<int> CountAsync(ConsoleBrokerHost host, string topic) =>
        (await host.Http.GetJsonAsync($"/api/v1/history?topic={topic}")).GetProperty("items").GetArrayLength();

    private ConsoleBrokerHost Start(Dictionary<string, string?> settings)
    {
        // FakeTimeProvider fires a periodic timer once per period it is advanced over: hours of a 1 s sampler are slow.
        settings["IoTix:Console:LiveMetrics:SampleIntervalMs"] = "60000";
        return ConsoleBrokerHost.Start(settings, services => services.AddSingleton<TimeProvider>(_clock));
    }

    private static async Task PublishAsync(ConsoleBrokerHost host, string topic, string payload)
    {
        using (var publisher = await host.ConnectAsync(null))
        {
            await publisher.PublishStringAsync(topic, payload, MqttQualityOfServiceLevel.AtLeastOnce);
        }

        await host.Services.WaitForHistoryAsync();
    }
}
