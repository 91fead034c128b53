namespace IoTix.Web.Hosting;

/// <summary>
/// Where the host's content root is: the current directory when it holds the user's
/// appsettings.json (the repository root under `dotnet run --project IoTix.Web`), else the
/// folder of the binaries (which carries a copy).
/// </summary>
internal static class ContentRoot
{
    public static string Find()
    {
        var current = Directory.GetCurrentDirectory();
        return File.Exists(Path.Combine(current, "appsettings.json")) ? current : AppContext.BaseDirectory;
    }
}
