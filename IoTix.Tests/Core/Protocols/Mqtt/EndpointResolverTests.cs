using System.Text.Json;
using IoTix.Core;
using IoTix.Core.Models;
using IoTix.Core.Protocols;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace IoTix.Tests.Core.Protocols.Mqtt;

public sealed class EndpointResolverTests
{
    private static DeviceModel Model(string connection) => JsonSerializer.Deserialize<DeviceModel>($$"""
        { "id": "m", "name": "m", "type": "sensor", "protocol": "mqtt", "connection": { {{connection}} }, "telemetry": [] }
        """, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;

    private static EndpointResolver Resolver(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging().AddIoTixCore(configuration).BuildServiceProvider();
        return services.GetRequiredService<EndpointResolver>();
    }

    private static BrokerEndpoint Resolve(EndpointResolver resolver, DeviceModel model, string? endpointOverride = null)
    {
        Assert.True(resolver.TryResolve(model, endpointOverride, out var endpoint, out var error), error);
        return endpoint;
    }

    [Fact]
    public void Model_address_is_used_when_nothing_overrides_it()
    {
        var resolver = Resolver([]);

        var endpoint = Resolve(resolver, Model("\"broker\": \"broker.local\", \"port\": 1884"));

        Assert.Equal(new BrokerEndpoint("broker.local", 1884, EndpointSource.Model), endpoint);
    }

    [Fact]
    public void Model_without_an_address_defaults_to_localhost_1883_or_8883_with_tls()
    {
        var resolver = Resolver([]);

        Assert.Equal(new BrokerEndpoint("localhost", 1883, EndpointSource.Model), Resolve(resolver, Model(string.Empty)));
        Assert.Equal(new BrokerEndpoint("localhost", 8883, EndpointSource.Model), Resolve(resolver, Model("\"tls\": { \"enabled\": true }")));
    }

    [Fact]
    public void Environment_variables_replace_the_model_address_and_beat_the_configuration_keys()
    {
        var resolver = Resolver(new()
        {
            ["IoTix:Simulation:BrokerHost"] = "configured.local",
            ["IoTix:Simulation:BrokerPort"] = "2000",
            ["MQTT_BROKER_HOST"] = "env.local",
            ["MQTT_BROKER_PORT"] = "3000",
        });

        var endpoint = Resolve(resolver, Model("\"broker\": \"model.local\", \"port\": 1884"));

        Assert.Equal(new BrokerEndpoint("env.local", 3000, EndpointSource.Configuration), endpoint);
    }

    [Fact]
    public void Configured_port_alone_keeps_the_model_host()
    {
        var resolver = Resolver(new() { ["IoTix:Simulation:BrokerPort"] = "2000" });

        var endpoint = Resolve(resolver, Model("\"broker\": \"model.local\", \"port\": 1884"));

        Assert.Equal(new BrokerEndpoint("model.local", 2000, EndpointSource.Configuration), endpoint);
    }

    [Fact]
    public void Group_override_wins_over_environment_and_model()
    {
        var resolver = Resolver(new() { ["MQTT_BROKER_HOST"] = "env.local" });

        var full = Resolve(resolver, Model("\"broker\": \"model.local\", \"port\": 1884"), "override.local:4000");
        var hostOnly = Resolve(resolver, Model("\"broker\": \"model.local\", \"port\": 1884"), "[::1]");

        Assert.Equal(new BrokerEndpoint("override.local", 4000, EndpointSource.Override), full);
        Assert.Equal(new BrokerEndpoint("::1", 1884, EndpointSource.Override), hostOnly);
    }

    [Fact]
    public void Mqtt_broker_host_of_the_seed_models_maps_to_loopback_by_default_and_aliases_are_configurable()
    {
        var defaults = Resolver([]);
        var configured = Resolver(new()
        {
            ["IoTix:Simulation:HostAliases:mqtt-broker"] = string.Empty,
            ["IoTix:Simulation:HostAliases:plant-broker"] = "10.0.0.5:11883",
        });

        Assert.Equal(new BrokerEndpoint("127.0.0.1", 1883, EndpointSource.Model), Resolve(defaults, Model("\"broker\": \"mqtt-broker\", \"port\": 1883")));
        Assert.Equal("mqtt-broker", Resolve(configured, Model("\"broker\": \"mqtt-broker\"")).Host);
        Assert.Equal(new BrokerEndpoint("10.0.0.5", 11883, EndpointSource.Model), Resolve(configured, Model("\"broker\": \"plant-broker\"")));
    }

    [Fact]
    public void Malformed_override_is_refused_as_a_value_naming_it()
    {
        var resolver = Resolver([]);

        bool ok = resolver.TryResolve(Model(string.Empty), "host:99999", out _, out var error);

        Assert.False(ok);
        Assert.Equal("endpoint override 'host:99999': port must be 1..65535 (was '99999')", error);
    }

    [Fact]
    public void Invalid_port_variable_fails_validation_naming_the_key_and_the_variable()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["MQTT_BROKER_PORT"] = "abc" }).Build();
        var services = new ServiceCollection().AddLogging().AddIoTixCore(configuration).BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<EndpointOptions>>().Value);

        Assert.Contains("IoTix:Simulation:BrokerPort (or MQTT_BROKER_PORT) must be 1..65535", ex.Message, StringComparison.Ordinal);
    }
}
