using System.Globalization;

namespace IoTix.Web.Components.Pages.Broker;

/// <summary>A past moment for the console: local time and how long ago (<c>2026-11-23 21:40:12 (5 min ago)</c>).</summary>
internal static class TimeAgo
{
    public static string Format(DateTimeOffset at, DateTimeOffset now)
    {
        var age = now - at;
        var text = age.TotalSeconds < 60 ? $"{Math.Max(0, (int)age.TotalSeconds)} s ago"
            : age.TotalMinutes < 60 ? $"{(int)age.TotalMinutes} min ago"
            : age.TotalHours < 48 ? $"{(int)age.TotalHours} h ago"
            : $"{(int)age.TotalDays} d ago";
        return $"{at.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} ({text})";
    }
}
