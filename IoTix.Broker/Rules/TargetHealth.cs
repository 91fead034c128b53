using Microsoft.Extensions.Logging;

namespace IoTix.Broker.Rules;

/// <summary>
/// Logs an action target's outages without flooding: a warning when it starts failing, an information line when it
/// works again, each failure in between at Debug (FR-043a).
/// </summary>
internal sealed class TargetHealth(ILogger logger, string ruleId, string type, string target)
{
    private int _failing;

    public void Failed(string error, int items = 1)
    {
        if (Interlocked.Exchange(ref _failing, 1) == 0)
        {
            RuleEngineLog.TargetDown(logger, ruleId, type, target, error);
        }
        else
        {
            RuleEngineLog.ActionFailed(logger, ruleId, type, target, items, error);
        }
    }

    public void Succeeded()
    {
        if (Volatile.Read(ref _failing) == 1 && Interlocked.Exchange(ref _failing, 0) == 1)
        {
            RuleEngineLog.TargetBack(logger, ruleId, type, target);
        }
    }
}
