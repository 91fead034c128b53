using System.Text.Json;

namespace IoTix.Bench.Scale;

/// <summary>Writes a run's summary as one JSON object (to a file when given) and prints it on a RESULT line.</summary>
internal static class ResultWriter
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = false };

    public static void Write(Dictionary<string, object?> result, string? file, TextWriter output)
    {
        // NaN/infinity (e.g. "99 % connected by" when fewer than 99 % connected) are not JSON numbers: write null.
        foreach (var key in result.Keys.ToArray())
        {
            if (result[key] is double d && !double.IsFinite(d))
            {
                result[key] = null;
            }
        }

        var json = JsonSerializer.Serialize(result, Options);
        if (!string.IsNullOrEmpty(file))
        {
            File.WriteAllText(file, json + Environment.NewLine);
        }

        output.WriteLine("RESULT " + json);
        output.Flush();
    }
}
