namespace IoTix.Tests.Shared;

/// <summary>
/// Where E2E tests write their page screenshots: the test output folder by default, so a test run
/// leaves the work tree unchanged; the repository's docs/images when IOTIX_SCREENSHOTS=docs (to
/// refresh the pictures the README and docs use).
/// </summary>
internal static class Screenshots
{
    public static string Folder()
    {
        if (Environment.GetEnvironmentVariable("IOTIX_SCREENSHOTS") == "docs")
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "IoTix.sln")))
                {
                    return Directory.CreateDirectory(Path.Combine(dir.FullName, "docs", "images")).FullName;
                }
            }
        }

        return Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "screenshots")).FullName;
    }
}
