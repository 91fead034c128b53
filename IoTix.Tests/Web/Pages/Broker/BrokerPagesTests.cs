using System.Net;
using Bunit;
using IoTix.Broker.Admin;
using IoTix.Broker.Observability;
using IoTix.Tests.Shared;
using IoTix.Web.Components.Pages.Broker;
using TracePage = IoTix.Web.Components.Pages.Broker.BrokerTrace;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MudBlazor;
using MudBlazor.Services;

namespace IoTix.Tests.Web.Pages.Broker;

/// <summary>The Broker pages with logic, rendered with bUnit on the real hosted broker's services.</summary>
public sealed class BrokerPagesTests : IClassFixture<BrokerFixture>, IAsyncLifetime
{
    private readonly BrokerInstance _broker;
    private readonly BunitContext _context;

    public BrokerPagesTests(BrokerFixture fixture)
    {
        _broker = fixture.Broker;
        _context = BrokerConsoleContext.Create(services =>
        {
            services.AddSingleton(_broker.Services.GetRequiredService<IBrokerAdmin>());
            services.AddSingleton(_broker.Services.GetRequiredService<IBrokerMetrics>());
            services.AddSingleton(_broker.Services.GetRequiredService<IBrokerTrace>());
        });
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _context.DisposeAsync();

    [Fact]
    public async Task Retained_delete_asks_for_confirmation_then_removes_the_row()
    {
        using var publisher = await _broker.ConnectAsync("page-retainer");
        await publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("page/retained/a").WithPayload("{\"temp\":21.5,\"unit\":\"C\"}").WithRetainFlag().Build());
        await publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("page/retained/keep").WithPayload("stay").WithRetainFlag().Build());
        await WaitForRetainedAsync("page/retained/keep");

        var page = _context.Render<BrokerRetained>();
        page.WaitForAssertion(() => Assert.Contains("page/retained/a", page.Markup, StringComparison.Ordinal));
        page.FindAll("[data-testid=delete]")[IndexOfRow(page, "page/retained/a")].Click();
        var confirmShown = page.Find("[data-testid=confirm-delete]").TextContent;
        page.Find("[data-testid=confirm-delete-yes]").Click();

        page.WaitForAssertion(() => Assert.Contains("deleted", page.Find("[data-testid=retained-message]").TextContent, StringComparison.Ordinal));
        Assert.Contains("page/retained/a", confirmShown, StringComparison.Ordinal);
        Assert.DoesNotContain("page/retained/a", page.Find("[data-testid=retained-table]").TextContent, StringComparison.Ordinal);
        Assert.Contains("page/retained/keep", page.Find("[data-testid=retained-table]").TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain(await _broker.Services.GetRequiredService<IBrokerAdmin>().GetRetainedMessagesAsync(), m => m.Topic == "page/retained/a");
    }

    [Fact]
    public async Task Retained_delete_cancelled_keeps_the_message()
    {
        using var publisher = await _broker.ConnectAsync("page-retainer-2");
        await publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("page/retained/cancel").WithPayload("x").WithRetainFlag().Build());
        await WaitForRetainedAsync("page/retained/cancel");

        var page = _context.Render<BrokerRetained>();
        page.FindAll("[data-testid=delete]")[IndexOfRow(page, "page/retained/cancel")].Click();
        page.Find("[data-testid=confirm-delete-no]").Click();

        Assert.Empty(page.FindAll("[data-testid=confirm-delete]"));
        Assert.Contains(await _broker.Services.GetRequiredService<IBrokerAdmin>().GetRetainedMessagesAsync(), m => m.Topic == "page/retained/cancel");
    }

    [Fact]
    public void Json_payloads_are_pretty_printed_and_binary_ones_shown_as_hex()
    {
        var json = new RetainedMessageInfo("t", 12, MQTTnet.Protocol.MqttQualityOfServiceLevel.AtMostOnce, null, "{\"a\":[1,2]}"u8.ToArray(), true);
        var binary = new RetainedMessageInfo("b", 3, MQTTnet.Protocol.MqttQualityOfServiceLevel.AtMostOnce, null, [0xFF, 0x00, 0xC3], true);
        var cut = new RetainedMessageInfo("c", 100, MQTTnet.Protocol.MqttQualityOfServiceLevel.AtMostOnce, null, "abc"u8.ToArray(), false);

        var pretty = RetainedMessagesViewModel.Format(json, prettyJson: true, out var jsonKind);
        var hex = RetainedMessagesViewModel.Format(binary, prettyJson: true, out var binaryKind);
        var partial = RetainedMessagesViewModel.Format(cut, prettyJson: true, out var cutKind);

        Assert.Equal(RetainedMessagesViewModel.PayloadKind.Json, jsonKind);
        Assert.Contains("\n", pretty, StringComparison.Ordinal);
        Assert.Contains("\"a\": [", pretty, StringComparison.Ordinal);
        Assert.Equal(RetainedMessagesViewModel.PayloadKind.Binary, binaryKind);
        Assert.Equal("FF00C3", hex);
        Assert.Equal(RetainedMessagesViewModel.PayloadKind.Text, cutKind);
        Assert.Contains("97 more bytes", partial, StringComparison.Ordinal);
    }

    [Fact]
    public void Acl_test_form_explains_errors_in_words_and_answers_without_an_acl_file()
    {
        var page = _context.Render<BrokerAcl>();

        page.Find("[data-testid=acl-run]").Click();
        var errors = page.Markup;
        page.Find("input[data-testid=acl-client]").Change("sensor-1");
        page.Find("input[data-testid=acl-topic]").Change("devices/#");
        page.Find("[data-testid=acl-run]").Click();
        var wildcardError = page.Markup;
        page.Find("input[data-testid=acl-topic]").Change("devices/sensor-1/temp");
        page.Find("[data-testid=acl-run]").Click();

        Assert.Contains("Enter the client id", errors, StringComparison.Ordinal);
        Assert.Contains("Enter a topic", errors, StringComparison.Ordinal);
        Assert.Contains("cannot contain + or #", wildcardError, StringComparison.Ordinal);
        Assert.Contains("Allowed", page.Find("[data-testid=acl-result]").TextContent, StringComparison.Ordinal);
        Assert.Contains("No ACL file", page.Find("[data-testid=acl-none]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Trace_page_adds_valid_filters_to_the_broker_and_explains_invalid_ones()
    {
        var trace = _broker.Services.GetRequiredService<IBrokerTrace>();
        var page = _context.Render<TracePage>();

        page.Find("input[data-testid=trace-topic]").Change("page/+/x#");
        page.Find("[data-testid=trace-topic-add]").Click();
        var error = page.Find("[data-testid=trace-error]").TextContent;
        page.Find("input[data-testid=trace-topic]").Change("page/+/trace");
        page.Find("[data-testid=trace-topic-add]").Click();

        try
        {
            Assert.Contains("'#' must be a whole level", error, StringComparison.Ordinal);
            Assert.Contains("page/+/trace", trace.TopicFilters);
            Assert.Equal("on", page.Find("[data-testid=trace-state]").TextContent.Trim());
        }
        finally
        {
            trace.RemoveTopicFilter("page/+/trace");
        }
    }

    [Fact]
    public async Task Overview_view_model_computes_message_rates_from_metric_snapshots()
    {
        var model = new BrokerOverviewViewModel(
            _broker.Services.GetRequiredService<IBrokerMetrics>(),
            _broker.Services.GetRequiredService<IBrokerAdmin>(),
            TimeProvider.System);
        using var publisher = await _broker.ConnectAsync("page-rates");

        model.Sample();
        for (var i = 0; i < 20; i++)
        {
            await publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("page/rate").WithPayload("x").WithQualityOfServiceLevel(MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce).Build());
        }

        model.Sample();

        Assert.Equal(1, model.SampleCount);
        Assert.True(model.MessagesInPerSecond > 0, $"rate {model.MessagesInPerSecond}");
        Assert.Equal(model.MessagesInPerSecond, model.MessagesInSeries()[^1]);
        Assert.Equal(BrokerOverviewViewModel.WindowSeconds, model.MessagesInSeries().Length);
    }

    private static int IndexOfRow(IRenderedComponent<BrokerRetained> page, string topic)
    {
        var rows = page.FindAll("[data-testid=retained-table] tbody tr");
        for (var i = 0; i < rows.Count; i++)
        {
            if (rows[i].TextContent.Contains(topic, StringComparison.Ordinal))
            {
                return i;
            }
        }

        throw new Xunit.Sdk.XunitException($"no row for {topic}");
    }

    private async Task WaitForRetainedAsync(string topic)
    {
        var admin = _broker.Services.GetRequiredService<IBrokerAdmin>();
        using var timeout = new CancellationTokenSource(BrokerInstance.Timeout);
        while (!(await admin.GetRetainedMessagesAsync(cancellationToken: timeout.Token)).Any(m => m.Topic == topic))
        {
            await Task.Delay(20, timeout.Token);
        }
    }
}
