using System.Net.Http.Json;
using System.Text.Json;
using IoTix.Broker.DeadLetters;
using IoTix.Broker.History;
using Microsoft.Extensions.DependencyInjection;

namespace IoTix.Tests.Broker.History;

/// <summary>Waiting on the history and dead-letter writers and reading the API's JSON.</summary>
internal static class HistoryTestSupport
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public static async Task WaitForHistoryAsync(this IServiceProvider services)
    {
        using var timeout = new CancellationTokenSource(Patience);
        await services.GetRequiredService<HistoryRecorder>().Writer!.WaitForIdleAsync(timeout.Token);
    }

    public static async Task WaitForDeadLettersAsync(this IServiceProvider services)
    {
        using var timeout = new CancellationTokenSource(Patience);
        await services.GetRequiredService<DeadLetterRecorder>().Writer!.WaitForIdleAsync(timeout.Token);
    }

    public static async Task<JsonElement> GetJsonAsync(this HttpClient http, string path)
    {
        using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public static async Task<(int Status, JsonElement Body)> SendJsonAsync(this HttpClient http, HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>Polls <paramref name="condition"/> until true (generous timeout: the machine is shared).</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting for {what}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Names of the fields a problem-details answer lists in <c>errors</c>.</summary>
    public static List<string> ErrorFields(JsonElement problem)
    {
        var fields = new List<string>();
        if (problem.ValueKind == JsonValueKind.Object && problem.TryGetProperty("errors", out var errors))
        {
            foreach (var property in errors.EnumerateObject())
            {
                fields.Add(property.Name);
            }
        }

        return fields;
    }
}
