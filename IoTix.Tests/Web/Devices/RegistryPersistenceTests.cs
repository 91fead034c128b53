using System.Globalization;
using System.Net.Http.Json;
using IoTix.Tests.Shared;
using IoTix.Web.Data;
using IoTix.Web.Devices;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;

namespace IoTix.Tests.Web.Devices;

/// <summary>The status of registered devices is written to the database and survives a restart (FR-037).</summary>
public sealed class RegistryPersistenceTests
{
    [Fact]
    public async Task Last_seen_is_stored_and_after_a_restart_the_device_is_offline_with_that_last_seen()
    {
        var folder = Directory.CreateTempSubdirectory("iotix-registry-test-").FullName;
        try
        {
            DateTime storedLastSeen;
            await using (var first = Host(folder))
            {
                using var http = first.CreateClient();
                Assert.True((await http.PostAsJsonAsync("/api/v1/registry/devices", new { deviceId = "persist-1", clientId = "persist-1-client" })).IsSuccessStatusCode);
                using var device = new MqttClientFactory().CreateMqttClient();
                await device.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", Port(first)).WithClientId("persist-1-client").Build());
                await device.DisconnectAsync();
                var record = await Eventually.GetAsync(async () =>
                {
                    await using var context = first.Services.GetRequiredService<IoTixDatabase>().CreateDbContext();
                    var row = await context.Set<RegisteredDeviceRecord>().AsNoTracking().SingleAsync(d => d.DeviceId == "persist-1");
                    return row is { Online: false, LastSeenAt: not null, LastDisconnectedAt: not null } ? row : null;
                }, "stored offline status with last seen");
                storedLastSeen = record.LastSeenAt!.Value;
            }

            await using var second = Host(folder);
            using var again = second.CreateClient();
            var restored = await again.GetFromJsonAsync<RegisteredDevice>("/api/v1/registry/devices/persist-1");

            Assert.NotNull(restored);
            Assert.False(restored.Status.Online);
            Assert.Equal(new DateTimeOffset(storedLastSeen, TimeSpan.Zero), restored.Status.LastSeen);
            Assert.Equal("persist-1-client", restored.ClientId);
        }
        finally
        {
            BrokerInstance.DeleteFolder(folder);
        }
    }

    private static IoTixWebFactory Host(string folder)
    {
        var port = BrokerInstance.FreePort().ToString(CultureInfo.InvariantCulture);
        return new IoTixWebFactory
        {
            DataFolder = folder,
            Settings =
            {
                ["Broker:Enabled"] = "true",
                ["Broker:Listeners:Tcp:Port"] = port,
                ["Broker:Listeners:WebSocket:Port"] = "0",
                ["Broker:ShutdownDrainSeconds"] = "1",
                ["IoTix:Registry:StatusFlushSeconds"] = "1",
            },
        };
    }

    private static int Port(IoTixWebFactory factory) => int.Parse(factory.Settings["Broker:Listeners:Tcp:Port"]!, CultureInfo.InvariantCulture);
}
