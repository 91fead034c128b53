using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using IoTix.Core.Models;

namespace IoTix.Web.Simulations;

/// <summary>
/// A device model's revision: the first 8 hex digits of the SHA-256 of its canonical JSON, so two loads of the same
/// content (a file reloaded unchanged, a PUT of the same body) are one revision and any change is a new one, whether
/// or not the model's own <c>version</c> field was bumped. Devices run the revision they were built from; see
/// <see cref="SimulationOrchestrator"/> for when they pick up a newer one.
/// </summary>
public static class ModelRevisions
{
    private static readonly ConditionalWeakTable<DeviceModel, string> Cache = [];

    /// <summary>The revision of <paramref name="model"/> (computed once per loaded model object).</summary>
    public static string Of(DeviceModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Cache.GetValue(model, static m => Compute(m));
    }

    /// <summary>"1.2.0 (3fa2b1c0)" with the model's own version, "3fa2b1c0" without one.</summary>
    public static string Describe(DeviceModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.Version is { Length: > 0 } version ? $"{version} ({Of(model)})" : Of(model);
    }

    private static string Compute(DeviceModel model)
    {
        var json = DeviceModelSerializer.Serialize(model, indented: false);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(json), hash);
        return Convert.ToHexStringLower(hash[..4]);
    }
}

/// <summary>Which model revision a group or device runs, and the catalog's current one.</summary>
/// <param name="Revision">the revision the devices were built from</param>
/// <param name="Version">the model's own <c>version</c> field of that revision (null when the model has none)</param>
/// <param name="LatestRevision">the catalog's revision of the model now (equal to <paramref name="Revision"/> unless it changed)</param>
public sealed record ModelRevisionInfo(string Revision, string? Version, string LatestRevision)
{
    /// <summary>The model changed since the devices were built: they pick the change up on their next start or a restart.</summary>
    public bool Outdated => !string.Equals(Revision, LatestRevision, StringComparison.Ordinal);
}
