using System.Text.Json;
using MQTTnet;
using MQTTnet.Protocol;

namespace IoTix.Tests.Broker.History;

/// <summary>
/// The host with an ACL denying <c>dlq/forbidden/#</c>, a 1 KiB payload limit, session queues of 3 messages and
/// dead-letter payloads cut at 512 bytes.
/// </summary>
public sealed class DeadLetterHostFixture : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("iotix-dlq-").FullName;

    public ConsoleBrokerHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var acl = Path.Combine(_folder, "acl.json");
        await File.WriteAllTextAsync(acl, """
            {
              "default": "allow",
              "rules": [ { "permission": "deny", "action": "publish", "topic": "dlq/forbidden/#" } ]
            }
            """);
        Host = ConsoleBrokerHost.Start(new Dictionary<string, string?>
        {
            ["Broker:AclFile"] = acl,
            ["Broker:MaxPayloadBytes"] = "1024",
            ["Broker:MaxPendingMessagesPerClient"] = "3",
            ["Broker:DeadLetters:MaxPayloadBytes"] = "512",
        });
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }
}

/// <summary>Dead-letter queue (FR-033): what lands there, listing, re-publish, delete, bad input.</summary>
public sealed class DeadLetterTests(DeadLetterHostFixture fixture) : IClassFixture<DeadLetterHostFixture>
{
    private ConsoleBrokerHost Host => fixture.Host;

    private HttpClient Http => fixture.Host.Http;

    [Fact]
    public async Task Publish_denied_by_the_acl_becomes_a_dead_letter_that_can_be_published_elsewhere_and_leaves_the_queue()
    {
        using var publisher = await Host.ConnectAsync("dlq-acl-pub");
        var denied = await publisher.PublishStringAsync("dlq/forbidden/door", "open", MqttQualityOfServiceLevel.AtLeastOnce);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, denied.ReasonCode);
        await Host.Services.WaitForDeadLettersAsync();
        var deadLetter = await SingleAsync("reason=acl_denied&topic=dlq/forbidden/%23");
        Assert.Equal("dlq-acl-pub", deadLetter.GetProperty("clientId").GetString());
        Assert.Equal("open", deadLetter.GetProperty("message").GetProperty("payloadText").GetString());
        var id = deadLetter.GetProperty("id").GetInt64();
        using var subscriber = await Host.ConnectAsync("dlq-acl-sub");
        var received = new Shared.MessageCollector(subscriber);
        await subscriber.SubscribeAsync("dlq/recovered/#", MqttQualityOfServiceLevel.AtLeastOnce);

        var (status, body) = await Http.SendJsonAsync(HttpMethod.Post, $"/api/v1/dead-letters/{id}/republish", new { topic = "dlq/recovered/door" });

        Assert.Equal(200, status);
        Assert.True(body.GetProperty("removed").GetBoolean());
        var messages = await received.WaitForAsync(1, HistoryTestSupport.Patience);
        Assert.Equal("open", messages[0].ConvertPayloadToString());
        var (gone, _) = await Http.SendJsonAsync(HttpMethod.Get, $"/api/v1/dead-letters/{id}");
        Assert.Equal(404, gone);
    }

    [Fact]
    public async Task Oversized_payload_is_kept_cut_to_the_configured_bytes_and_cannot_be_published_again()
    {
        using (var publisher = await Host.ConnectAsync("dlq-big-pub"))
        {
            try
            {
                await publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("dlq/big/blob").WithPayload(new byte[2000]).Build());
            }
            catch (Exception exception) when (exception is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException)
            {
                // The broker answers DISCONNECT 0x95 Packet too large; the publish may or may not see it.
            }
        }

        await HistoryTestSupport.WaitUntilAsync(async () => (await Http.GetJsonAsync("/api/v1/dead-letters?reason=payload_too_large&topic=dlq/big/blob")).GetProperty("total").GetInt32() == 1, "the payload_too_large dead letter");
        var deadLetter = await SingleAsync("reason=payload_too_large&topic=dlq/big/blob");

        Assert.Equal("dlq-big-pub", deadLetter.GetProperty("clientId").GetString());
        Assert.Equal(2000, deadLetter.GetProperty("payloadBytes").GetInt64());
        Assert.True(deadLetter.GetProperty("payloadTruncated").GetBoolean());
        Assert.Equal(512, deadLetter.GetProperty("message").GetProperty("payloadBytes").GetInt32());
        var (status, problem) = await Http.SendJsonAsync(HttpMethod.Post, $"/api/v1/dead-letters/{deadLetter.GetProperty("id").GetInt64()}/republish");
        Assert.Equal(409, status);
        Assert.Contains("512", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Overflow_of_an_offline_session_queue_dead_letters_the_oldest_messages_for_that_receiver()
    {
        using (var subscriber = await Host.ConnectAsync("dlq-slow-sub", o => o.WithCleanStart(false).WithSessionExpiryInterval(600)))
        {
            await subscriber.SubscribeAsync("dlq/burst/#", MqttQualityOfServiceLevel.AtLeastOnce);
            await subscriber.DisconnectAsync();
        }

        using (var publisher = await Host.ConnectAsync("dlq-burst-pub"))
        {
            for (var i = 0; i < 5; i++)
            {
                await publisher.PublishStringAsync("dlq/burst/n", $"m{i}", MqttQualityOfServiceLevel.AtLeastOnce);
            }
        }

        await Host.Services.WaitForDeadLettersAsync();
        var page = await Http.GetJsonAsync("/api/v1/dead-letters?reason=queue_overflow&topic=dlq/burst/%23");

        Assert.Equal(2, page.GetProperty("total").GetInt32());
        var items = page.GetProperty("items").EnumerateArray().ToList();
        Assert.All(items, i => Assert.Equal("dlq-slow-sub", i.GetProperty("clientId").GetString()));
        Assert.Equal(["m1", "m0"], items.Select(i => i.GetProperty("message").GetProperty("payloadText").GetString())); // newest first
    }

    [Fact]
    public async Task Messages_queued_for_a_session_that_expires_become_dead_letters()
    {
        using (var subscriber = await Host.ConnectAsync("dlq-gone-sub", o => o.WithCleanStart(false).WithSessionExpiryInterval(1)))
        {
            await subscriber.SubscribeAsync("dlq/expire/#", MqttQualityOfServiceLevel.AtLeastOnce);
            await subscriber.DisconnectAsync();
        }

        using (var publisher = await Host.ConnectAsync("dlq-expire-pub"))
        {
            await publisher.PublishStringAsync("dlq/expire/a", "never delivered", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        await HistoryTestSupport.WaitUntilAsync(async () => (await Http.GetJsonAsync("/api/v1/dead-letters?reason=session_expired&topic=dlq/expire/%23")).GetProperty("total").GetInt32() == 1, "the session_expired dead letter");
        var deadLetter = await SingleAsync("reason=session_expired&topic=dlq/expire/%23");

        Assert.Equal("dlq-gone-sub", deadLetter.GetProperty("clientId").GetString());
        Assert.Equal("never delivered", deadLetter.GetProperty("message").GetProperty("payloadText").GetString());
        var (deleted, _) = await Http.SendJsonAsync(HttpMethod.Delete, $"/api/v1/dead-letters/{deadLetter.GetProperty("id").GetInt64()}");
        Assert.Equal(204, deleted);
        var (again, _) = await Http.SendJsonAsync(HttpMethod.Delete, $"/api/v1/dead-letters/{deadLetter.GetProperty("id").GetInt64()}");
        Assert.Equal(404, again);
    }

    [Fact]
    public async Task Bad_list_and_republish_requests_name_their_fields()
    {
        var (status, problem) = await Http.SendJsonAsync(HttpMethod.Get, "/api/v1/dead-letters?reason=lost&topic=a/%23/b&pageSize=0");
        var (republish, republishProblem) = await Http.SendJsonAsync(HttpMethod.Post, "/api/v1/dead-letters/1/republish", new { topic = "a/+" });
        var (unknown, _) = await Http.SendJsonAsync(HttpMethod.Post, "/api/v1/dead-letters/999999/republish");

        Assert.Equal(400, status);
        Assert.Equal(["pageSize", "reason", "topic"], HistoryTestSupport.ErrorFields(problem).Order());
        Assert.Equal(400, republish);
        Assert.Equal(["topic"], HistoryTestSupport.ErrorFields(republishProblem));
        Assert.Equal(404, unknown);
    }

    private async Task<JsonElement> SingleAsync(string query)
    {
        var page = await Http.GetJsonAsync($"/api/v1/dead-letters?{query}");
        Assert.Equal(1, page.GetProperty("total").GetInt32());
        return Assert.Single(page.GetProperty("items").EnumerateArray());
    }
}
