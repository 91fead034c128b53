using Bunit;
using IoTix.Broker.DeadLetters;
using IoTix.Broker.History;
using IoTix.Tests.Broker.History;
using IoTix.Tests.Shared;
using IoTix.Web.History;
using IoTix.Web.Components.Pages.Broker;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Protocol;

namespace IoTix.Tests.Web.Pages.Broker;

/// <summary>The host capturing <c>vm/#</c> with an ACL that refuses publishing to <c>vm/forbidden/#</c>.</summary>
public sealed class HistoryPagesFixture : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("iotix-hist-pages-").FullName;

    public ConsoleBrokerHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var acl = Path.Combine(_folder, "acl.json");
        await File.WriteAllTextAsync(acl, """{ "default": "allow", "rules": [ { "permission": "deny", "action": "publish", "topic": "vm/forbidden/#" } ] }""");
        Host = ConsoleBrokerHost.Start(new Dictionary<string, string?> { ["Broker:History:Topics:0"] = "vm/#", ["Broker:AclFile"] = acl });
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }
}

/// <summary>The History and Dead letters pages and their view models on the running host's services (bUnit).</summary>
public sealed class HistoryPagesTests : IClassFixture<HistoryPagesFixture>, IAsyncLifetime
{
    private readonly ConsoleBrokerHost _host;
    private readonly BunitContext _context;

    public HistoryPagesTests(HistoryPagesFixture fixture)
    {
        _host = fixture.Host;
        _context = BrokerConsoleContext.Create(services =>
        {
            services.AddSingleton(_host.Services.GetRequiredService<IMessageHistory>());
            services.AddSingleton(_host.Services.GetRequiredService<IDeadLetterQueue>());
            services.AddSingleton(_host.Services.GetRequiredService<TenantMessageData>());
        });
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _context.DisposeAsync();

    [Fact]
    public async Task History_view_model_pages_forward_and_back_and_refuses_a_bad_filter()
    {
        await PublishAsync("vm/paging/n", 5);
        var model = new HistoryViewModel(_host.Services.GetRequiredService<TenantMessageData>()) { Topic = "vm/paging/#", PageSize = 2 };

        await model.SearchAsync();
        var first = Payloads(model);
        await model.NextAsync();
        var second = Payloads(model);
        await model.NextAsync();
        var third = Payloads(model);
        var hasNextOnLast = model.HasNext;
        await model.PreviousAsync();
        var back = Payloads(model);
        var pageNumber = model.PageNumber;
        model.Topic = "vm/#/x";
        await model.SearchAsync();

        Assert.Equal(["0", "1"], first);
        Assert.Equal(["2", "3"], second);
        Assert.Equal(["4"], third);
        Assert.False(hasNextOnLast);
        Assert.Equal(["2", "3"], back);
        Assert.Equal(2, pageNumber);
        Assert.Contains("'#'", model.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task History_replay_from_the_view_model_reports_progress_until_completed_and_rejects_bad_input()
    {
        await PublishAsync("vm/replay/n", 3);
        using var subscriber = await _host.ConnectAsync("vm-replay-sub");
        var received = new MessageCollector(subscriber);
        await subscriber.SubscribeAsync("vm-out/replayed", MqttQualityOfServiceLevel.AtLeastOnce);
        var model = new HistoryViewModel(_host.Services.GetRequiredService<TenantMessageData>()) { Topic = "vm/replay/#" };

        model.ReplayTargetTopic = "vm-out/+";
        var refused = model.StartReplay();
        var refusal = model.ReplayError;
        model.ReplayTargetTopic = "vm-out/replayed";
        model.ReplayPace = ReplayPace.AsFastAsPossible;
        var started = model.StartReplay();
        await HistoryTestSupport.WaitUntilAsync(() => Task.FromResult(model.RefreshJob() && !model.JobRunning || model.Job is { State: ReplayState.Completed }), "the replay to complete");

        Assert.False(refused);
        Assert.Contains("targetTopic", refusal, StringComparison.Ordinal);
        Assert.True(started);
        Assert.Equal(100, model.Progress);
        Assert.Equal(["0", "1", "2"], (await received.WaitForAsync(3, HistoryTestSupport.Patience)).Select(m => m.ConvertPayloadToString()));
    }

    [Fact]
    public async Task History_page_lists_the_captured_messages()
    {
        await PublishAsync("vm/page/temperature", 1);

        var page = _context.Render<BrokerHistory>();

        page.WaitForAssertion(() => Assert.Contains("vm/page/temperature", page.Find("[data-testid=history-table]").TextContent, StringComparison.Ordinal), HistoryTestSupport.Patience);
        Assert.Contains("vm/#", page.Find("[data-testid=history-status]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dead_letters_page_shows_a_coloured_reason_chip_and_its_model_republishes_and_removes_the_letter()
    {
        using (var publisher = await _host.ConnectAsync("vm-dlq-pub"))
        {
            await publisher.PublishStringAsync("vm/forbidden/valve", "close", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        await _host.Services.WaitForDeadLettersAsync();
        var page = _context.Render<BrokerDeadLetters>();
        page.WaitForAssertion(() => Assert.Contains("ACL denied", page.Find("[data-testid=dlq-reason-chip]").TextContent, StringComparison.Ordinal), HistoryTestSupport.Patience);
        using var subscriber = await _host.ConnectAsync("vm-dlq-sub");
        var received = new MessageCollector(subscriber);
        await subscriber.SubscribeAsync("vm-out/valve", MqttQualityOfServiceLevel.AtLeastOnce);
        var model = new DeadLettersViewModel(_host.Services.GetRequiredService<TenantMessageData>()) { Reason = DeadLetterReason.AclDenied, TopicFilter = "vm/forbidden/#" };

        await model.SearchAsync();
        var before = model.Total;
        model.Select(model.Items[0]);
        model.RepublishTopic = "vm-out/valve";
        await model.RepublishAsync();

        Assert.Equal(1, before);
        Assert.True(model.Message?.Succeeded);
        Assert.Equal(0, model.Total);
        Assert.Equal("close", (await received.WaitForAsync(1, HistoryTestSupport.Patience))[0].ConvertPayloadToString());
        Assert.Equal(4, Enum.GetValues<DeadLetterReason>().Select(DeadLettersViewModel.ReasonColor).Distinct().Count());
    }

    private async Task PublishAsync(string topic, int count)
    {
        using (var publisher = await _host.ConnectAsync(null))
        {
            for (var i = 0; i < count; i++)
            {
                await publisher.PublishStringAsync(topic, i.ToString(System.Globalization.CultureInfo.InvariantCulture), MqttQualityOfServiceLevel.AtLeastOnce);
            }
        }

        await _host.Services.WaitForHistoryAsync();
    }

    private static List<string> Payloads(HistoryViewModel model) =>
        [.. model.Items.Select(i => System.Text.Encoding.UTF8.GetString(i.Message.Payload))];
}
