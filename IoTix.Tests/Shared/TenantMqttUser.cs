using IoTix.Broker.Security;
using IoTix.Web.MqttUsers;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;

namespace IoTix.Tests.Shared;

/// <summary>
/// An MQTT user of a tenant added to a host's runtime user source (<see cref="MqttUserCache"/>, in memory): the only
/// kind of client the hosted broker lets connect with a client id under <c>tenants/{tenant}/</c>.
/// </summary>
public static class TenantMqttUser
{
    public const string Password = "tenant-test-device-secret";

    /// <summary>Adds <c>{tenant}/test-device</c> of <paramref name="tenant"/> (again: the same user) and answers its client options.</summary>
    public static Action<MqttClientOptionsBuilder> Of(IServiceProvider services, string tenant)
    {
        var username = tenant + "/test-device";
        services.GetRequiredService<MqttUserCache>().Set(username, new MqttUserCredentials(BrokerPasswordHasher.HashPassword(Password, 1), tenant));
        return options => options.WithCredentials(username, Password);
    }
}
