using System.Buffers.Binary;
using System.Text;
using IoTix.Core.Protocols;
using IoTix.Core.Protocols.Coap;
using Microsoft.Extensions.Time.Testing;

namespace IoTix.Tests.Core.Protocols.Coap;

/// <summary>
/// The adapter's message layer against a scripted peer on loopback (a server that answers by
/// hand or not at all), with retransmission timing on a fake clock.
/// </summary>
public sealed class CoapExchangeTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly UdpPeer _peer = new();

    public void Dispose() => _peer.Dispose();

    private CoapProtocolAdapter Adapter(Action<CoapOptions>? configure = null) => CoapKit.Adapter(_time, o =>
    {
        o.PingOnConnect = false;
        configure?.Invoke(o);
    });

    private static (CoapHeader Header, byte[] Token, byte[] Options, byte[] Payload) Parse(byte[] datagram)
    {
        var error = CoapMessageReader.TryParse(datagram, out var header, out var token, out var options, out var payload);
        Assert.Equal(CoapFormatError.None, error);
        return (header, token.ToArray(), options.ToArray(), payload.ToArray());
    }

    private static List<(int Number, byte[] Value)> OptionsOf(byte[] options)
    {
        var list = new List<(int, byte[])>();
        var e = new CoapOptionEnumerator(options);
        while (e.MoveNext())
        {
            list.Add((e.Number, e.Value.ToArray()));
        }

        return list;
    }

    private static byte[] Message(CoapMessageType type, byte code, ushort id, ReadOnlySpan<byte> token, (int Number, uint Value)[]? options = null, string? payload = null)
    {
        var buffer = new byte[512];
        var writer = new CoapMessageWriter(buffer);
        writer.WriteHeader(type, code, id, token);
        foreach (var (number, value) in options ?? [])
        {
            writer.WriteOption(number, value);
        }

        if (payload is not null)
        {
            writer.WritePayload(Encoding.UTF8.GetBytes(payload));
        }

        return buffer[..writer.Length];
    }

    private void Advance(int ms) => _time.Advance(TimeSpan.FromMilliseconds(ms));

    private static async Task Until(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + CoapKit.Wait;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            await Task.Delay(5);
        }
    }

    [Fact]
    public async Task Confirmable_message_is_retransmitted_with_exponential_backoff_then_given_up()
    {
        await using var adapter = Adapter();
        var (connection, _, topic) = CoapKit.Connect(adapter, CoapKit.Model(_peer.Url("t")));
        Assert.True((await connection.ConnectAsync()).Succeeded);

        Assert.Equal(PublishStatus.Accepted, connection.TryPublish(topic, "{\"t\":1}"u8, qos: 1, retain: false));
        var retransmitAt = new List<long>();
        long timedOutAt = -1;
        long seen = 0;
        for (long t = 100; t <= 100_000 && timedOutAt < 0; t += 100)
        {
            Advance(100);
            var m = adapter.GetCoapMetrics();
            for (; seen < m.Retransmissions; seen++)
            {
                retransmitAt.Add(t);
            }

            if (m.Timeouts > 0)
            {
                timedOutAt = t;
            }
        }

        var datagrams = new List<byte[]>();
        for (int i = 0; i < 5; i++)
        {
            datagrams.Add(await _peer.ReceiveAsync());
        }

        Assert.Equal(4, retransmitAt.Count); // MAX_RETRANSMIT
        var gaps = new[] { retransmitAt[0], retransmitAt[1] - retransmitAt[0], retransmitAt[2] - retransmitAt[1], retransmitAt[3] - retransmitAt[2], timedOutAt - retransmitAt[3] };
        var bounds = new[] { (2000, 3000), (4000, 6000), (8000, 12000), (16000, 24000), (32000, 48000) };
        for (int i = 0; i < gaps.Length; i++)
        {
            Assert.InRange(gaps[i], bounds[i].Item1, bounds[i].Item2 + 100);
        }

        Assert.All(datagrams, d => Assert.Equal(Parse(datagrams[0]).Header.MessageId, Parse(d).Header.MessageId));
        Assert.All(datagrams, d => Assert.Equal(CoapMessageType.Confirmable, Parse(d).Header.Type));
        Assert.Equal(1, adapter.GetMetrics().MessagesDropped);
        Assert.Equal(1, adapter.GetMetrics().Failures.Unacknowledged);
        Assert.Equal(0, adapter.GetCoapMetrics().InFlight);
    }

    [Fact]
    public async Task NonConfirmable_message_is_sent_once_with_json_content_format_and_never_retransmitted()
    {
        await using var adapter = Adapter();
        var (connection, _, topic) = CoapKit.Connect(adapter, CoapKit.Model(_peer.Url("sensors/${deviceId}/soil?unit=c"), method: "PUT"));
        await connection.ConnectAsync();

        connection.TryPublish(topic, "{\"t\":1}"u8, qos: 0, retain: false);
        var message = Parse(await _peer.ReceiveAsync());
        Advance(120_000);

        var options = OptionsOf(message.Options);
        Assert.Equal(CoapMessageType.NonConfirmable, message.Header.Type);
        Assert.Equal(CoapCode.Put, message.Header.Code);
        Assert.Equal(8, message.Token.Length);
        Assert.Equal(["sensors", "dev-1", "soil"], options.Where(o => o.Number == CoapOptionNumber.UriPath).Select(o => Encoding.UTF8.GetString(o.Value)));
        Assert.Equal(50u, CoapMessageReader.ReadUInt(options.Single(o => o.Number == CoapOptionNumber.ContentFormat).Value));
        Assert.Equal("unit=c", Encoding.UTF8.GetString(options.Single(o => o.Number == CoapOptionNumber.UriQuery).Value));
        Assert.Equal("{\"t\":1}", Encoding.UTF8.GetString(message.Payload));
        Assert.Equal(0, adapter.GetCoapMetrics().Retransmissions);
        Assert.False(_peer.TryReceive(out _));
    }

    [Fact]
    public async Task Binary_payload_uses_octet_stream_and_other_topics_become_paths_on_the_same_server()
    {
        await using var adapter = Adapter();
        var (connection, _, _) = CoapKit.Connect(adapter, CoapKit.Model(_peer.Url("t"), payloadFormat: "binary"));
        await connection.ConnectAsync();

        connection.TryPublish("meters/dev-1/alerts", [1, 2, 3], qos: 0, retain: false);
        var options = OptionsOf(Parse(await _peer.ReceiveAsync()).Options);

        Assert.Equal(["meters", "dev-1", "alerts"], options.Where(o => o.Number == CoapOptionNumber.UriPath).Select(o => Encoding.UTF8.GetString(o.Value)));
        Assert.Equal(42u, CoapMessageReader.ReadUInt(options.Single(o => o.Number == CoapOptionNumber.ContentFormat).Value));
    }

    [Fact]
    public async Task Confirmable_messages_wait_for_the_previous_answer_and_a_full_queue_refuses_the_newest()
    {
        await using var adapter = Adapter();
        var (connection, _, topic) = CoapKit.Connect(adapter, CoapKit.Model(_peer.Url("t")), queueLimit: 2);
        await connection.ConnectAsync();

        var statuses = new[]
        {
            connection.TryPublish(topic, "1"u8, 1, false),
            connection.TryPublish(topic, "2"u8, 1, false),
            connection.TryPublish(topic, "3"u8, 1, false),
            connection.TryPublish(topic, "4"u8, 1, false),
        };
        var first = Parse(await _peer.ReceiveAsync());
        Assert.False(_peer.TryReceive(out _)); // NSTART = 1: the second waits
        Advance(40); // the first exchange takes 40 ms of the adapter's clock
        _peer.Send(Message(CoapMessageType.Acknowledgement, CoapCode.Changed, first.Header.MessageId, first.Token));
        var second = Parse(await _peer.ReceiveAsync());

        Assert.Equal([PublishStatus.Accepted, PublishStatus.Accepted, PublishStatus.Accepted, PublishStatus.QueueFull], statuses);
        Assert.Equal("1", Encoding.UTF8.GetString(first.Payload));
        Assert.Equal("2", Encoding.UTF8.GetString(second.Payload));
        Assert.NotEqual(first.Header.MessageId, second.Header.MessageId);
        await Until(() => adapter.GetCoapMetrics().Acknowledged == 1);
        Assert.Equal(1, adapter.GetCoapMetrics().Responses2xx);
        Assert.Equal(1, adapter.GetMetrics().Failures.QueueFull);
        Assert.Equal((1L, 40.0), (adapter.GetMetrics().PublishLatency!.Count, adapter.GetMetrics().PublishLatency!.P50Ms));
    }

    [Fact]
    public async Task Separate_response_after_an_empty_ack_completes_the_exchange_and_is_acknowledged()
    {
        await using var adapter = Adapter();
        var (connection, _, topic) = CoapKit.Connect(adapter, CoapKit.Model(_peer.Url("t")));
        await connection.ConnectAsync();
        connection.TryPublish(topic, "1"u8, 1, false);
        var request = Parse(await _peer.ReceiveAsync());

        _peer.Send(Message(CoapMessageType.Acknowledgement, CoapCode.Empty, request.Header.MessageId, default));
        _peer.Send(Message(CoapMessageType.Confirmable, CoapCode.Created, 0x4242, request.Token));
        var ack = Parse(await _peer.ReceiveAsync());
        Advance(10_000); // no retransmission once acknowledged

        Assert.Equal(CoapMessageType.Acknowledgement, ack.Header.Type);
        Assert.Equal((ushort)0x4242, ack.Header.MessageId);
        Assert.True(ack.Header.IsEmpty);
        await Until(() => adapter.GetCoapMetrics().Acknowledged == 1);
        Assert.Equal(0, adapter.GetCoapMetrics().Retransmissions);
    }

    [Fact]
    public async Task Malformed_confirmable_datagram_is_reset_and_the_exchange_keeps_waiting()
    {
        await using var adapter = Adapter();
        var (connection, _, topic) = CoapKit.Connect(adapter, CoapKit.Model(_peer.Url("t")));
        await connection.ConnectAsync();
        connection.TryPublish(topic, "1"u8, 1, false);
        var request = Parse(await _peer.ReceiveAsync());

        _peer.Send([0x4F, 0x45, 0x12, 0x34, 1, 2]); // token length 15 is reserved: a format error
        var reset = Parse(await _peer.ReceiveAsync());
        _peer.Send([0x60, 0x45, .. BitConverter.GetBytes(BinaryPrimitives.ReverseEndianness(request.Header.MessageId)), 0xFF]); // ACK with a marker and no payload
        await Until(() => adapter.GetCoapMetrics().MalformedReceived == 2);

        Assert.Equal(CoapMessageType.Reset, reset.Header.Type);
        Assert.Equal((ushort)0x1234, reset.Header.MessageId);
        Assert.Equal(1, adapter.GetCoapMetrics().InFlight);
        Assert.Equal(0, adapter.GetCoapMetrics().Acknowledged);
    }

    [Fact]
    public async Task Ack_with_an_unknown_critical_option_is_ignored_and_retransmission_continues()
    {
        await using var adapter = Adapter();
        var (connection, _, topic) = CoapKit.Connect(adapter, CoapKit.Model(_peer.Url("t")));
        await connection.ConnectAsync();
        connection.TryPublish(topic, "1"u8, 1, false);
        var request = Parse(await _peer.ReceiveAsync());

        _peer.Send(Message(CoapMessageType.Acknowledgement, CoapCode.Changed, request.Header.MessageId, request.Token, [(9, 1u)]));
        await Until(() => adapter.GetCoapMetrics().RejectedResponses == 1);
        Advance(3_000);
        var retransmitted = Parse(await _peer.ReceiveAsync());

        Assert.Equal(request.Header.MessageId, retransmitted.Header.MessageId);
        Assert.Equal(0, adapter.GetCoapMetrics().Acknowledged);
    }

    [Fact]
    public async Task Error_response_counts_as_a_failed_message_with_its_class()
    {
        await using var adapter = Adapter();
        var (connection, _, topic) = CoapKit.Connect(adapter, CoapKit.Model(_peer.Url("t")));
        await connection.ConnectAsync();
        connection.TryPublish(topic, "1"u8, 1, false);
        var request = Parse(await _peer.ReceiveAsync());

        _peer.Send(Message(CoapMessageType.Acknowledgement, 0xA0 /* 5.00 */, request.Header.MessageId, request.Token));
        await Until(() => adapter.GetCoapMetrics().Responses5xx == 1);

        Assert.Equal(1, adapter.GetMetrics().MessagesDropped);
        Assert.Equal(1, adapter.GetMetrics().Failures.RefusedByPeer);
        Assert.Equal(0, adapter.GetCoapMetrics().Acknowledged);
        Assert.Equal(0, adapter.GetCoapMetrics().InFlight);
    }

    [Fact]
    public async Task Duplicate_confirmable_notification_is_acknowledged_again_but_delivered_once()
    {
        await using var adapter = Adapter();
        var model = CoapKit.Model(_peer.Url("t"), commands: """[ { "name": "reboot", "topic": "cmd/${deviceId}/reboot" } ]""");
        var (connection, events, _) = CoapKit.Connect(adapter, model);
        await connection.ConnectAsync();
        var registration = Parse(await _peer.ReceiveAsync());
        var regOptions = OptionsOf(registration.Options);
        _peer.Send(Message(CoapMessageType.Acknowledgement, CoapCode.Content, registration.Header.MessageId, registration.Token, [(CoapOptionNumber.Observe, 5u)], "initial"));
        await Until(() => adapter.GetCoapMetrics().ObserveRegistrations == 1);

        var notification = Message(CoapMessageType.Confirmable, CoapCode.Content, 0x0707, registration.Token, [(CoapOptionNumber.Observe, 6u)], "{\"delay\":3}");
        _peer.Send(notification);
        var ack1 = Parse(await _peer.ReceiveAsync());
        _peer.Send(notification);
        var ack2 = Parse(await _peer.ReceiveAsync());
        var command = await events.NextCommandAsync(CoapKit.Wait);

        Assert.Equal(CoapCode.Get, registration.Header.Code);
        Assert.Equal(0u, CoapMessageReader.ReadUInt(regOptions.Single(o => o.Number == CoapOptionNumber.Observe).Value));
        Assert.Equal(["cmd", "dev-1", "reboot"], regOptions.Where(o => o.Number == CoapOptionNumber.UriPath).Select(o => Encoding.UTF8.GetString(o.Value)));
        Assert.Equal(CoapMessageType.Acknowledgement, ack1.Header.Type);
        Assert.Equal(CoapMessageType.Acknowledgement, ack2.Header.Type);
        Assert.Equal((ushort)0x0707, ack2.Header.MessageId);
        Assert.Equal("reboot", command.Name);
        Assert.Equal("{\"delay\":3}", Encoding.UTF8.GetString(command.Payload));
        Assert.False(events.TryReadCommand(out _)); // the initial representation and the duplicate are not commands
        Assert.Equal(1, adapter.GetCoapMetrics().DuplicatesReceived);
    }

    [Fact]
    public async Task Stale_notification_is_not_delivered()
    {
        await using var adapter = Adapter();
        var (connection, events, _) = CoapKit.Connect(adapter, CoapKit.Model(_peer.Url("t"), commands: """[ { "name": "set" } ]"""));
        await connection.ConnectAsync();
        var registration = Parse(await _peer.ReceiveAsync());
        _peer.Send(Message(CoapMessageType.Acknowledgement, CoapCode.Content, registration.Header.MessageId, registration.Token, [(CoapOptionNumber.Observe, 10u)]));
        await Until(() => adapter.GetCoapMetrics().ObserveRegistrations == 1);

        _peer.Send(Message(CoapMessageType.NonConfirmable, CoapCode.Content, 1, registration.Token, [(CoapOptionNumber.Observe, 9u)], "old"));
        _peer.Send(Message(CoapMessageType.NonConfirmable, CoapCode.Content, 2, registration.Token, [(CoapOptionNumber.Observe, 11u)], "new"));
        var command = await events.NextCommandAsync(CoapKit.Wait);

        Assert.Equal("new", Encoding.UTF8.GetString(command.Payload));
        Assert.Equal(["commands", "dev-1", "set"], OptionsOf(registration.Options).Where(o => o.Number == CoapOptionNumber.UriPath).Select(o => Encoding.UTF8.GetString(o.Value)));
        Assert.Equal(1, adapter.GetCoapMetrics().Notifications);
    }

    [Fact]
    public async Task Observation_silent_past_its_max_age_is_registered_again_with_the_same_token()
    {
        await using var adapter = Adapter(o => o.ObserveMarginMs = 1000);
        var (connection, _, _) = CoapKit.Connect(adapter, CoapKit.Model(_peer.Url("t"), commands: """[ { "name": "set" } ]"""));
        await connection.ConnectAsync();
        var registration = Parse(await _peer.ReceiveAsync());
        _peer.Send(Message(CoapMessageType.Acknowledgement, CoapCode.Content, registration.Header.MessageId, registration.Token, [(CoapOptionNumber.Observe, 1u), (CoapOptionNumber.MaxAge, 2u)]));
        await Until(() => adapter.GetCoapMetrics().ObserveRegistrations == 1);

        Advance(2_900);
        Assert.False(_peer.TryReceive(out _));
        Advance(200);
        var again = Parse(await _peer.ReceiveAsync());

        Assert.Equal(registration.Token, again.Token);
        Assert.Equal(CoapCode.Get, again.Header.Code);
        Assert.Equal(1, adapter.GetCoapMetrics().ObserveReregistrations);
    }

    [Fact]
    public async Task Refused_registration_is_retried_after_ObserveRetryMs()
    {
        await using var adapter = Adapter(o => o.ObserveRetryMs = 5_000);
        var (connection, _, _) = CoapKit.Connect(adapter, CoapKit.Model(_peer.Url("t"), commands: """[ { "name": "set" } ]"""));
        await connection.ConnectAsync();
        var registration = Parse(await _peer.ReceiveAsync());

        _peer.Send(Message(CoapMessageType.Acknowledgement, CoapCode.NotFound, registration.Header.MessageId, registration.Token));
        await Until(() => adapter.GetCoapMetrics().ObserveFailures == 1);
        Advance(4_900);
        Assert.False(_peer.TryReceive(out _));
        Advance(100);
        var retry = Parse(await _peer.ReceiveAsync());

        Assert.Equal(registration.Token, retry.Token);
        Assert.NotEqual(registration.Header.MessageId, retry.Header.MessageId);
    }

    [Fact]
    public async Task Notification_for_a_disconnected_device_is_reset()
    {
        await using var adapter = Adapter();
        var (connection, events, _) = CoapKit.Connect(adapter, CoapKit.Model(_peer.Url("t"), commands: """[ { "name": "set" } ]"""));
        await connection.ConnectAsync();
        var registration = Parse(await _peer.ReceiveAsync());
        _peer.Send(Message(CoapMessageType.Acknowledgement, CoapCode.Content, registration.Header.MessageId, registration.Token, [(CoapOptionNumber.Observe, 1u)]));
        await Until(() => adapter.GetCoapMetrics().ObserveRegistrations == 1);

        await connection.DisconnectAsync(DisconnectMode.Abrupt);
        _peer.Send(Message(CoapMessageType.Confirmable, CoapCode.Content, 0x0101, registration.Token, [(CoapOptionNumber.Observe, 2u)], "late"));
        var reply = Parse(await _peer.ReceiveAsync());

        Assert.Equal(CoapMessageType.Reset, reply.Header.Type);
        Assert.False(events.TryReadCommand(out _));
        Assert.False(connection.IsConnected);
    }

    [Fact]
    public async Task Graceful_disconnect_deregisters_observations()
    {
        await using var adapter = Adapter();
        var (connection, _, _) = CoapKit.Connect(adapter, CoapKit.Model(_peer.Url("t"), commands: """[ { "name": "set" } ]"""));
        await connection.ConnectAsync();
        var registration = Parse(await _peer.ReceiveAsync());
        _peer.Send(Message(CoapMessageType.Acknowledgement, CoapCode.Content, registration.Header.MessageId, registration.Token, [(CoapOptionNumber.Observe, 1u)]));
        await Until(() => adapter.GetCoapMetrics().ObserveRegistrations == 1);

        await connection.DisconnectAsync(DisconnectMode.Graceful);
        var deregistration = Parse(await _peer.ReceiveAsync());

        Assert.Equal(registration.Token, deregistration.Token);
        Assert.Equal(1u, CoapMessageReader.ReadUInt(OptionsOf(deregistration.Options).Single(o => o.Number == CoapOptionNumber.Observe).Value));
    }

    [Fact]
    public async Task Unanswered_ping_fails_the_connect_after_the_retransmissions()
    {
        await using var adapter = CoapKit.Adapter(_time);
        var (connection, _, _) = CoapKit.Connect(adapter, CoapKit.Model(_peer.Url("t")));

        var pending = connection.ConnectAsync().AsTask();
        var ping = Parse(await _peer.ReceiveAsync());
        Advance(100_000);
        var result = await pending.WaitAsync(CoapKit.Wait);

        Assert.True(ping.Header.IsEmpty);
        Assert.Equal(CoapMessageType.Confirmable, ping.Header.Type);
        Assert.False(result.Succeeded);
        Assert.Contains("no answer to a CoAP ping", result.Error);
        Assert.Equal(1, adapter.GetMetrics().ConnectFailures);
        Assert.False(connection.IsConnected);
    }

    [Fact]
    public async Task Consecutive_timeouts_report_the_connection_lost_when_configured()
    {
        await using var adapter = Adapter(o => { o.ConnectionLostAfterTimeouts = 1; o.MaxRetransmit = 0; });
        var (connection, events, topic) = CoapKit.Connect(adapter, CoapKit.Model(_peer.Url("t")));
        await connection.ConnectAsync();

        connection.TryPublish(topic, "1"u8, 1, false);
        Advance(3_100);

        Assert.Single(events.Lost);
    }

    [Fact]
    public async Task Oversized_payload_is_rejected_and_not_sent()
    {
        await using var adapter = Adapter(o => o.MaxPayloadBytes = 16);
        var (connection, _, topic) = CoapKit.Connect(adapter, CoapKit.Model(_peer.Url("t")));
        await connection.ConnectAsync();

        var status = connection.TryPublish(topic, new byte[17], 0, false);

        Assert.Equal(PublishStatus.Rejected, status);
        Assert.Equal(0, adapter.GetMetrics().MessagesPublished);
        Assert.Equal(1, adapter.GetMetrics().Failures.Rejected);
    }

    [Fact]
    public async Task Publish_before_connect_is_refused()
    {
        await using var adapter = Adapter();
        var (connection, _, topic) = CoapKit.Connect(adapter, CoapKit.Model(_peer.Url("t")));

        Assert.Equal(PublishStatus.NotConnected, connection.TryPublish(topic, "1"u8, 0, false));
        Assert.False(connection.IsConnected);
        Assert.Equal(1, adapter.GetMetrics().Failures.NotConnected);
    }

    [Fact]
    public async Task Unsupported_method_fails_the_connect_with_a_reason()
    {
        await using var adapter = Adapter();
        var (connection, _, _) = CoapKit.Connect(adapter, CoapKit.Model(_peer.Url("t"), method: "PATCH"));

        var result = await connection.ConnectAsync();

        Assert.False(result.Succeeded);
        Assert.Contains("POST or PUT", result.Error);
    }

    [Fact]
    public async Task Devices_share_sockets_up_to_DevicesPerSocket()
    {
        await using var adapter = Adapter(o => o.DevicesPerSocket = 3);
        var model = CoapKit.Model(_peer.Url("t"));
        for (int i = 0; i < 7; i++)
        {
            var (connection, _, _) = CoapKit.Connect(adapter, model, $"dev-{i}");
            await connection.ConnectAsync();
        }

        Assert.Equal(3, adapter.GetCoapMetrics().Sockets);
        Assert.Equal(7, adapter.GetMetrics().Connections);
    }
}
