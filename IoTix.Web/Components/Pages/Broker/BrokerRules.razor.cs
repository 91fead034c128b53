using System.Globalization;
using IoTix.Broker.Rules;
using IoTix.Web.Rules;
using IoTix.Web.Accounts;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace IoTix.Web.Components.Pages.Broker;

/// <summary>Lists, switches, edits and tests rules; counters refresh every two seconds from the engine.</summary>
public sealed partial class BrokerRules : IDisposable
{
    private bool _canWrite;

    [CascadingParameter]
    private Task<AuthenticationState>? Authentication { get; set; }

    private static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(2);

    private PeriodicRefresh? _refresh;

    [Inject]
    private BrokerRulesViewModel Model { get; set; } = default!;

    [Inject]
    private TimeProvider TimeProvider { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        _canWrite = await ConsoleAccess.AllowsAsync(Authentication, Permissions.RulesWrite);
        await Model.LoadAsync();
        _refresh = new PeriodicRefresh(TimeProvider, RefreshInterval, RefreshAsync);
    }

    public void Dispose() => _refresh?.Dispose();

    private Task RefreshAsync()
    {
        Model.RefreshCounters();
        return InvokeAsync(StateHasChanged);
    }

    private Task SetEnabledAsync(RuleView rule, bool enabled) => Model.SetEnabledAsync(rule, enabled);

    private Task DeleteAsync(RuleView rule) => Model.DeleteAsync(rule);

    private Task SaveAsync() => Model.SaveAsync();

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string ActionSummary(RuleDefinition rule)
    {
        var types = new List<string>(rule.Actions.Count);
        foreach (var action in rule.Actions)
        {
            types.Add(action.Type);
        }

        return string.Join(", ", types);
    }
}
