namespace IoTix.Tests.Shared;

/// <summary>
/// A broker ACL file (docs/broker.md, "ACL") in a folder of its own, deleted on dispose: <c>using var acl = await
/// AclFile.CreateAsync(json);</c> before the host that reads it, so the host stops first.
/// </summary>
public sealed class AclFile : IDisposable
{
    private readonly string _folder;

    private AclFile(string folder, string path)
    {
        _folder = folder;
        Path = path;
    }

    /// <summary>The file, for <c>Broker:AclFile</c>.</summary>
    public string Path { get; }

    public static async Task<AclFile> CreateAsync(string json)
    {
        var folder = Directory.CreateTempSubdirectory("iotix-acl-").FullName;
        var path = System.IO.Path.Combine(folder, "acl.json");
        await File.WriteAllTextAsync(path, json);
        return new AclFile(folder, path);
    }

    public void Dispose() => BrokerInstance.DeleteFolder(_folder);
}
