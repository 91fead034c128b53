namespace IoTix.Web.Components.Layout;

/// <summary>The console's theme as the layout cascades it to pages (the app bar's dark/light toggle).</summary>
public static class ConsoleTheme
{
    /// <summary>Name of the cascading <c>bool</c>: true while the dark theme is on. Read it with <c>[CascadingParameter(Name = ConsoleTheme.DarkMode)]</c>.</summary>
    public const string DarkMode = "IoTix.DarkMode";
}
