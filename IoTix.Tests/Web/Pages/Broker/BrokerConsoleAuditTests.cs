using IoTix.Broker.Admin;
using IoTix.Broker.Methods;
using IoTix.Broker.Shadows;
using IoTix.Tests.Broker.History;
using IoTix.Tests.Shared;
using IoTix.Tests.Web.Accounts;
using IoTix.Web.Audit;
using IoTix.Web.Components.Pages.Broker;
using IoTix.Web.Devices;
using IoTix.Web.History;
using IoTix.Web.Rules;
using IoTix.Web.Tenancy;
using Microsoft.Extensions.DependencyInjection;

namespace IoTix.Tests.Web.Pages.Broker;

/// <summary>The broker pages' console actions write one <c>console.</c> audit entry each, with who, from where and the outcome.</summary>
public sealed class BrokerConsoleAuditTests : IAsyncLifetime
{
    private const string Operator = "operator@broker-pages.test";
    private const string RemoteIp = "198.51.100.4";

    private ConsoleBrokerHost _host = null!;

    public Task InitializeAsync()
    {
        _host = ConsoleBrokerHost.Start(new Dictionary<string, string?> { ["Broker:History:Topics:0"] = "audit/#" });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private ConsoleAudit Audit() =>
        new(_host.Services.GetRequiredService<IAuditLog>(), new ConsoleAuditTests.SignedIn(Operator, Tenants.Default), new ConsoleAuditTests.FixedTenant(Tenants.Default), new ConsoleConnection { RemoteIp = RemoteIp });

    private async Task<IReadOnlyList<AuditRecord>> EntriesAsync(string action) =>
        await _host.Services.GetRequiredService<IAuditLog>().QueryAsync(new AuditQuery(Action: ConsoleAudit.Source + "." + action));

    private Task<AuditRecord> SingleAsync(string action) =>
        Eventually.GetAsync(async () => (await EntriesAsync(action)) is [var entry] ? entry : null, $"one {action} entry");

    [Fact]
    public async Task Disconnecting_a_client_and_deleting_a_retained_message_are_audited_with_who_and_from_where()
    {
        var admin = _host.Services.GetRequiredService<IBrokerAdmin>();
        using var client = await _host.ConnectAsync("audited-client");
        var clients = new BrokerClientsViewModel(admin, Audit());
        var retained = new RetainedMessagesViewModel(admin, Audit());

        var disconnected = await clients.DisconnectAsync("audited-client");
        retained.RequestDelete("audit/retained");
        await retained.ConfirmDeleteAsync();

        var disconnect = await SingleAsync("broker.client.disconnect");
        var delete = await SingleAsync("broker.retained.delete");
        Assert.True(disconnected.Succeeded, disconnected.Message);
        Assert.Equal(("audited-client", AuditOutcomes.Success, Operator, RemoteIp), (disconnect.Target, disconnect.Outcome, disconnect.Actor, disconnect.RemoteIp));
        Assert.Equal("audit/retained", delete.Target);
    }

    [Fact]
    public async Task Rule_create_update_switch_and_delete_are_audited_and_the_update_carries_before_and_after()
    {
        var rules = new BrokerRulesViewModel(_host.Services.GetRequiredService<RuleService>(), Audit());
        rules.New();
        rules.Id = "audited-rule";
        rules.Name = "Audited";
        rules.Condition = "payload.value > 30";
        Assert.True(await rules.SaveAsync(), string.Join("; ", rules.Errors.Values));

        rules.Edit(rules.Rules.Single(r => r.Definition.Id == "audited-rule"));
        rules.Condition = "payload.value > 40";
        Assert.True(await rules.SaveAsync(), string.Join("; ", rules.Errors.Values));
        var rule = rules.Rules.Single(r => r.Definition.Id == "audited-rule");
        await rules.SetEnabledAsync(rule, enabled: false);
        await rules.DeleteAsync(rule);

        foreach (var action in new[] { "rule.create", "rule.disable", "rule.delete" })
        {
            Assert.Equal(("audited-rule", AuditOutcomes.Success), ((await SingleAsync(action)).Target, (await SingleAsync(action)).Outcome));
        }

        var update = await SingleAsync("rule.update");
        Assert.Contains("\"before\":", update.Details, StringComparison.Ordinal);
        Assert.Contains("payload.value > 30", update.Details, StringComparison.Ordinal);
        Assert.Contains("payload.value > 40", update.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dead_letter_delete_replay_start_and_cancel_are_audited_and_a_refusal_is_failed_with_the_reason()
    {
        var deadLetters = new DeadLettersViewModel(_host.Services.GetRequiredService<TenantMessageData>(), Audit());
        var history = new HistoryViewModel(_host.Services.GetRequiredService<TenantMessageData>(), Audit()) { Topic = "audit/#", ReplayTargetTopic = "audit-out/x" };

        await deadLetters.DeleteAsync(424242);
        var started = history.StartReplay();
        history.CancelReplay();

        var delete = await SingleAsync("deadletter.delete");
        Assert.Equal(("424242", AuditOutcomes.Failed), (delete.Target, delete.Outcome));
        Assert.Contains("already gone", delete.Details, StringComparison.Ordinal);
        Assert.True(started, history.ReplayError);
        Assert.Equal(AuditOutcomes.Success, (await SingleAsync("replay.start")).Outcome);
        Assert.Equal(history.Job!.Id, (await SingleAsync("replay.cancel")).Target);
    }

    [Fact]
    public async Task A_shadow_desired_update_and_a_method_call_are_audited()
    {
        var devices = new DevicesViewModel(
            _host.Services.GetRequiredService<IDeviceRegistry>(),
            _host.Services.GetRequiredService<IShadowService>(),
            _host.Services.GetRequiredService<IDirectMethods>(),
            new ConsoleAuditTests.FixedTenant(Tenants.Default),
            Audit());
        await devices.SelectAsync("audited-thing");

        devices.DesiredText = """{"position": 50}""";
        await devices.SaveDesiredAsync();
        devices.MethodName = "reboot";
        devices.MethodTimeoutSeconds = 1;
        await devices.InvokeAsync();

        var desired = await SingleAsync("shadow.desired.update");
        Assert.Equal("audited-thing", desired.Target);
        Assert.Contains(desired.Outcome == AuditOutcomes.Success ? "\"position\":50" : devices.Message!.Text.Split(':')[^1].Trim(), desired.Details, StringComparison.OrdinalIgnoreCase);
        var method = await SingleAsync("method.invoke");
        Assert.Equal(("audited-thing/reboot", AuditOutcomes.Failed), (method.Target, method.Outcome)); // no device answers
    }
}
