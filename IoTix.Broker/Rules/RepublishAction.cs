using System.Buffers;
using System.Text;
using MQTTnet;
using MQTTnet.Protocol;

namespace IoTix.Broker.Rules;

/// <summary>
/// <c>republish</c> (FR-042): publishes a transformed message on a rendered topic through the broker (in memory, from
/// the worker). The new message may trigger rules again, up to <c>Broker:Rules:MaxChainDepth</c> hops. A tenant's rule
/// (<paramref name="topicNamespace"/>) never publishes outside its namespace.
/// </summary>
internal sealed class RepublishAction(int index, RuleTemplate topic, RuleTemplate? payload, int? qos, bool retain, string? topicNamespace = null) : RuleAction(index)
{
    public override string Type => RuleActionTypes.Republish;

    public override async ValueTask ExecuteAsync(RuleMessage message, int depth)
    {
        var built = Build(message, out var error);
        if (built is null)
        {
            Counters.Failed(error!);
            return;
        }

        if (Runtime.Republish is { } republish && await republish(built, depth).ConfigureAwait(false))
        {
            Counters.Succeeded();
        }
        else
        {
            Counters.Failed("the broker is not running");
        }
    }

    public override RuleActionPreview Preview(RuleMessage message)
    {
        var built = Build(message, out var error);
        return built is null
            ? new RuleActionPreview(Index, Type, topic.Render(message), null, null, error)
            : new RuleActionPreview(Index, Type, $"{built.Topic} (QoS {(int)built.QualityOfServiceLevel}{(built.Retain ? ", retained" : "")})", Encoding.UTF8.GetString(built.Payload), null, null);
    }

    private MqttApplicationMessage? Build(RuleMessage message, out string? error)
    {
        var name = topic.Render(message);
        error = RuleTopics.CheckTopicName(name);
        if (error is null && topicNamespace is not null && !RuleTopics.IsInsideNamespace(topicNamespace, name))
        {
            error = $"topic '{name}' is outside the rule's namespace {topicNamespace}";
        }

        if (error is not null)
        {
            return null;
        }

        return new MqttApplicationMessage
        {
            Topic = name,
            Payload = payload is null ? message.Payload : new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(payload.Render(message))),
            QualityOfServiceLevel = (MqttQualityOfServiceLevel)(qos ?? message.QualityOfService),
            Retain = retain,
        };
    }
}
