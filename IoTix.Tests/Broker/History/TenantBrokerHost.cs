using System.Net;
using IoTix.Tests.Shared;
using IoTix.Tests.Web.Api;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Protocol;

namespace IoTix.Tests.Broker.History;

/// <summary>The tenancy tests' host (hosted broker, PostgreSQL, history of every topic), tenants and messages.</summary>
public static class TenantBrokerHost
{
    /// <summary>The host on a new PostgreSQL database, capturing every topic in history.</summary>
    public static Task<ConsoleBrokerHost> StartAsync(PostgresFixture postgres, Dictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null, string? connectionString = null)
    {
        var all = settings ?? [];
        all["Broker:History:Topics:0"] = "#";
        return ConsoleBrokerHost.StartOnPostgresAsync(postgres, all, services, connectionString);
    }

    public static async Task CreateTenantAsync(ConsoleBrokerHost host, string id, string quotas = "")
    {
        using var created = await host.Http.PostJsonAsync("/api/v1/tenants", $$"""{"id": "{{id}}", "name": "{{id}}"{{quotas}}}""");
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
    }

    public static async Task PublishAsync(ConsoleBrokerHost host, params (string Topic, string Payload)[] messages)
    {
        using (var publisher = await host.ConnectAsync("tenant-data-publisher"))
        {
            foreach (var (topic, payload) in messages)
            {
                await publisher.PublishStringAsync(topic, payload, MqttQualityOfServiceLevel.AtLeastOnce);
            }
        }

        await host.Services.WaitForHistoryAsync();
    }

    public static async Task<List<string?>> HistoryTopicsAsync(HttpClient client)
    {
        var page = await client.GetJsonAsync("/api/v1/history?topic=%23");
        return [.. page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("message").GetProperty("topic").GetString()).Order(StringComparer.Ordinal)];
    }
}
