using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using IoTix.Core.Protocols;
using IoTix.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace IoTix.Tests.Web.Api;

/// <summary>
/// The host for API tests: a model folder holding one file model (<see cref="FileModelId"/>), folder watching off,
/// and only an in-process MQTT adapter, so devices of mqtt models connect without a broker. Shared by the tests of a class; each test uses
/// its own model, group and device ids.
/// </summary>
public sealed class ApiFixture : IAsyncLifetime
{
    public const string FileModelId = "file-sensor";

    private readonly string _modelFolder = Directory.CreateTempSubdirectory("iotix-api-models-").FullName;

    public ApiFixture()
    {
        File.WriteAllText(Path.Combine(_modelFolder, "file-sensor.json"), ApiTestHost.Model(FileModelId, name: "File sensor"));
        Factory = ApiTestHost.CreateFactory(_modelFolder);
    }

    public IoTixWebFactory Factory { get; }

    public HttpClient CreateClient() => Factory.CreateClient();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await Factory.DisposeAsync();
        BrokerInstance.DeleteFolder(_modelFolder);
    }
}

internal static class ApiTestHost
{
    /// <summary>A factory on <paramref name="modelFolder"/> with the recording MQTT adapter; <paramref name="dataFolder"/> keeps the SQLite file across factories.</summary>
    public static IoTixWebFactory CreateFactory(string modelFolder, string? dataFolder = null, IDictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["IoTix:Models:Path"] = modelFolder,
            ["IoTix:Models:Watch"] = "false",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        // Only the in-process MQTT adapter: devices "connect" without a broker, and coap/http models have no adapter.
        static void AddAdapter(IServiceCollection services)
        {
            services.RemoveAll<IProtocolAdapter>();
            services.AddSingleton<IProtocolAdapter>(new RecordingProtocolAdapter("mqtt") { RecordPayloads = false });
        }

        return dataFolder is null
            ? new IoTixWebFactory { Settings = all, TestServices = AddAdapter }
            : new IoTixWebFactory { Settings = all, TestServices = AddAdapter, DataFolder = dataFolder };
    }

    /// <summary>A valid model (one uniform random item) with the given id.</summary>
    public static string Model(string id, string protocol = "mqtt", string type = "sensor", string? name = null, int intervalMs = 5000) => $$"""
        {
          "id": "{{id}}",
          "name": "{{name ?? "Test " + id}}",
          "description": "model {{id}} for API tests",
          "type": "{{type}}",
          "protocol": "{{protocol}}",
          "connection": {{Connection(protocol)}},
          "telemetry": [
            {
              "name": "temperature",
              "type": "number",
              "unit": "celsius",
              "generator": { "type": "random", "min": 20.0, "max": 30.0, "distribution": "uniform" },
              "intervalMs": {{intervalMs}}
            }
          ]
        }
        """;

    private static string Connection(string protocol) => protocol switch
    {
        "coap" => """{ "url": "coap://localhost:5683/devices/${deviceId}", "method": "POST" }""",
        "http" => """{ "url": "http://localhost:9/ingest/${deviceId}", "method": "POST" }""",
        _ => """{ "broker": "localhost", "port": 1883, "topicPattern": "devices/${deviceId}/telemetry" }""",
    };

    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string url, string json) =>
        client.PostAsync(url, new StringContent(json, Encoding.UTF8, "application/json"));

    public static Task<HttpResponseMessage> PutJsonAsync(this HttpClient client, string url, string json) =>
        client.PutAsync(url, new StringContent(json, Encoding.UTF8, "application/json"));

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    public static async Task<JsonElement> GetJsonAsync(this HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        Assert.True(response.IsSuccessStatusCode, $"GET {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.JsonAsync();
    }

    /// <summary>Asserts a problem details answer with <paramref name="status"/>; returns its body.</summary>
    public static async Task<JsonElement> AssertProblemAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(text);
        var body = document.RootElement.Clone();
        Assert.Equal((int)status, body.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("title").GetString()));
        return body;
    }

    /// <summary>Asserts a problem naming <paramref name="field"/> in <c>errors</c>; returns that field's messages joined.</summary>
    public static async Task<string> AssertFieldProblemAsync(this HttpResponseMessage response, HttpStatusCode status, string field)
    {
        var body = await response.AssertProblemAsync(status);
        Assert.True(body.TryGetProperty("errors", out var errors), $"no errors in {body}");
        Assert.True(errors.TryGetProperty(field, out var messages), $"errors do not name '{field}': {errors}");
        return string.Join(" | ", messages.EnumerateArray().Select(m => m.GetString()));
    }

    /// <summary>Polls <paramref name="url"/> until <paramref name="done"/> holds (a condition wait, bounded; not a timing assertion).</summary>
    public static async Task<JsonElement> WaitForAsync(this HttpClient client, string url, Func<JsonElement, bool> done, string what, int timeoutSeconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        JsonElement last = default;
        while (DateTime.UtcNow < deadline)
        {
            last = await client.GetJsonAsync(url);
            if (done(last))
            {
                return last;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"{what} not reached within {timeoutSeconds} s; last {url}: {last}");
    }

    public static void AssertJsonContentType(HttpResponseMessage response) =>
        Assert.Equal(new MediaTypeHeaderValue("application/json").MediaType, response.Content.Headers.ContentType?.MediaType);
}
