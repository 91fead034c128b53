using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace IoTix.Broker.Shadows;

/// <summary>
/// The mutable state of one shadow (guarded by its slot's lock): desired and reported sections, their metadata
/// (the same tree with <c>{"timestamp": unix seconds}</c> at each leaf), version and time. Pure JSON logic: merge,
/// delta, limits, serialisation.
/// </summary>
internal sealed class ShadowState
{
    public JsonObject Desired { get; private set; } = [];

    public JsonObject Reported { get; private set; } = [];

    public JsonObject DesiredMetadata { get; private set; } = [];

    public JsonObject ReportedMetadata { get; private set; } = [];

    public long Version { get; private set; }

    public DateTimeOffset UpdatedAt { get; private set; }

    public ShadowState Clone() => new()
    {
        Desired = (JsonObject)Desired.DeepClone(),
        Reported = (JsonObject)Reported.DeepClone(),
        DesiredMetadata = (JsonObject)DesiredMetadata.DeepClone(),
        ReportedMetadata = (JsonObject)ReportedMetadata.DeepClone(),
        Version = Version,
        UpdatedAt = UpdatedAt,
    };

    /// <summary>Applies <paramref name="update"/> (desired, then reported) stamped with <paramref name="now"/> and moves to the next version.</summary>
    public void Apply(ShadowUpdate update, DateTimeOffset now)
    {
        long ts = now.ToUnixTimeSeconds();
        if (update.ClearDesired || update.ReplaceDesired)
        {
            Desired = [];
            DesiredMetadata = [];
        }

        if (update.Desired is { } desired)
        {
            Merge(Desired, DesiredMetadata, desired, ts);
        }

        if (update.ClearReported)
        {
            Reported = [];
            ReportedMetadata = [];
        }

        if (update.Reported is { } reported)
        {
            Merge(Reported, ReportedMetadata, reported, ts);
        }

        Version++;
        UpdatedAt = now;
    }

    /// <summary>Desired fields whose value differs from (or is missing in) reported; nested objects compared field by field.</summary>
    public JsonObject Delta() => Difference(Desired, Reported);

    /// <summary>The metadata of the fields in <paramref name="delta"/> (from the desired metadata).</summary>
    public JsonObject DeltaMetadata(JsonObject delta) => Subset(DesiredMetadata, delta);

    /// <summary>UTF-8 size of desired plus reported.</summary>
    public int StateBytes() => Encoding.UTF8.GetByteCount(Desired.ToJsonString()) + Encoding.UTF8.GetByteCount(Reported.ToJsonString());

    public int Depth() => Math.Max(DepthOf(Desired), DepthOf(Reported));

    public ShadowDocument ToDocument(string thingName)
    {
        var delta = Delta();
        var metadata = new JsonObject();
        if (DesiredMetadata.Count > 0)
        {
            metadata["desired"] = DesiredMetadata.DeepClone();
        }

        if (ReportedMetadata.Count > 0)
        {
            metadata["reported"] = ReportedMetadata.DeepClone();
        }

        return new ShadowDocument(
            thingName,
            Version,
            UpdatedAt,
            Desired.Count > 0 ? Element(Desired) : null,
            Reported.Count > 0 ? Element(Reported) : null,
            delta.Count > 0 ? Element(delta) : null,
            Element(metadata));
    }

    /// <summary>What is stored: state and metadata (version and time are columns).</summary>
    public string ToStoredJson() => new JsonObject
    {
        ["state"] = new JsonObject { ["desired"] = Desired.DeepClone(), ["reported"] = Reported.DeepClone() },
        ["metadata"] = new JsonObject { ["desired"] = DesiredMetadata.DeepClone(), ["reported"] = ReportedMetadata.DeepClone() },
    }.ToJsonString();

    public static ShadowState FromStored(StoredShadow stored)
    {
        var root = JsonNode.Parse(stored.DocumentJson) as JsonObject ?? [];
        return new ShadowState
        {
            Desired = Section(root, "state", "desired"),
            Reported = Section(root, "state", "reported"),
            DesiredMetadata = Section(root, "metadata", "desired"),
            ReportedMetadata = Section(root, "metadata", "reported"),
            Version = stored.Version,
            UpdatedAt = stored.UpdatedAt,
        };
    }

    internal static JsonElement Element(JsonNode node)
    {
        using var document = JsonDocument.Parse(node.ToJsonString());
        return document.RootElement.Clone();
    }

    private static JsonObject Section(JsonObject root, string part, string name) =>
        root[part] is JsonObject p && p[name] is JsonObject section ? (JsonObject)section.DeepClone() : [];

    private static void Merge(JsonObject target, JsonObject metadata, JsonObject patch, long ts)
    {
        foreach (var (name, value) in patch)
        {
            if (value is null)
            {
                target.Remove(name);
                metadata.Remove(name);
            }
            else if (value is JsonObject patchObject)
            {
                if (target[name] is not JsonObject targetObject)
                {
                    targetObject = [];
                    target[name] = targetObject;
                }

                if (metadata[name] is not JsonObject metadataObject || IsLeafMetadata(metadataObject))
                {
                    metadataObject = [];
                    metadata[name] = metadataObject;
                }

                Merge(targetObject, metadataObject, patchObject, ts);
            }
            else
            {
                target[name] = value.DeepClone();
                metadata[name] = new JsonObject { ["timestamp"] = ts };
            }
        }
    }

    private static bool IsLeafMetadata(JsonObject metadata) => metadata.Count == 1 && metadata["timestamp"] is JsonValue;

    private static JsonObject Difference(JsonObject desired, JsonObject reported)
    {
        var delta = new JsonObject();
        foreach (var (name, value) in desired)
        {
            var other = reported[name];
            if (value is JsonObject desiredObject && other is JsonObject reportedObject)
            {
                var nested = Difference(desiredObject, reportedObject);
                if (nested.Count > 0)
                {
                    delta[name] = nested;
                }
            }
            else if (other is null || !JsonNode.DeepEquals(value, other))
            {
                delta[name] = value?.DeepClone();
            }
        }

        return delta;
    }

    private static JsonObject Subset(JsonObject metadata, JsonObject delta)
    {
        var result = new JsonObject();
        foreach (var (name, value) in delta)
        {
            if (metadata[name] is not { } meta)
            {
                continue;
            }

            result[name] = value is JsonObject nested && meta is JsonObject nestedMeta && !IsLeafMetadata(nestedMeta)
                ? Subset(nestedMeta, nested)
                : meta.DeepClone();
        }

        return result;
    }

    private static int DepthOf(JsonNode? node) => node switch
    {
        JsonObject o => 1 + MaxChild(o),
        JsonArray a => 1 + MaxChild(a),
        _ => 0,
    };

    private static int MaxChild(IEnumerable<KeyValuePair<string, JsonNode?>> children)
    {
        int max = 0;
        foreach (var (_, child) in children)
        {
            max = Math.Max(max, DepthOf(child));
        }

        return max;
    }

    private static int MaxChild(JsonArray children)
    {
        int max = 0;
        foreach (var child in children)
        {
            max = Math.Max(max, DepthOf(child));
        }

        return max;
    }
}
