using IoTix.Tests.Shared;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;

namespace IoTix.Tests.Web.Pages.Broker;

/// <summary>The whole host with its broker on an ephemeral port: the clients page lists a real MQTTnet client.</summary>
public sealed class BrokerClientsPageTests
{
    [Fact]
    public async Task Clients_page_lists_a_real_client_connected_to_the_hosted_broker()
    {
        var port = BrokerInstance.FreePort();
        await using var factory = new IoTixWebFactory
        {
            Settings =
            {
                ["Broker:Enabled"] = "true",
                ["Broker:Listeners:Tcp:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Broker:Listeners:WebSocket:Port"] = "0",
                ["Broker:ShutdownDrainSeconds"] = "1",
            },
        };
        using var http = factory.CreateClient();
        using var mqtt = new MqttClientFactory().CreateMqttClient();
        using var timeout = new CancellationTokenSource(BrokerInstance.Timeout);
        await mqtt.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId("page-listed-client").Build(), timeout.Token);
        await mqtt.SubscribeAsync("page/listed/#", cancellationToken: timeout.Token);

        var html = await http.GetStringAsync("/broker/clients");
        var overview = await http.GetStringAsync("/broker");

        Assert.Contains("page-listed-client", html, StringComparison.Ordinal);
        Assert.Contains("1 connected", html, StringComparison.Ordinal);
        Assert.Contains(">5.0<", html.Replace(" ", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{port}", overview, StringComparison.Ordinal);
        Assert.Contains("listening", overview, StringComparison.Ordinal);
    }
}
