using System.Globalization;

namespace IoTix.Web.Cli.Run;

/// <summary>Judges a run's totals against its thresholds: the status, its exit code and the reasons.</summary>
internal static class RunVerdict
{
    public static (string Status, IReadOnlyList<string> Reasons) Judge(ReportTotals totals, ReportThresholds thresholds, bool interrupted)
    {
        var reasons = new List<string>();
        if (totals.FailedToConnect > thresholds.MaxConnectFailures)
        {
            reasons.Add($"{totals.FailedToConnect} device(s) failed to connect (--max-connect-failures {thresholds.MaxConnectFailures})");
        }

        if (totals.ErrorRate > thresholds.MaxErrorRate)
        {
            reasons.Add(string.Create(CultureInfo.InvariantCulture, $"message error rate {totals.ErrorRate:0.####} ({totals.MessagesFailed + totals.MessagesDropped} of {totals.MessagesSent + totals.MessagesFailed} failed: {totals.MessagesFailed} refused by the engine, {totals.MessagesDropped} lost by the adapter) is above --max-error-rate {thresholds.MaxErrorRate}"));
        }

        var status = interrupted ? RunStatus.Interrupted : reasons.Count > 0 ? RunStatus.Failed : RunStatus.Ok;
        return (status, reasons);
    }

    /// <summary>
    /// (refused + lost) / (sent + refused): <paramref name="failed"/> were refused while disconnected, <paramref name="dropped"/>
    /// were accepted (counted in <paramref name="sent"/>) but never written, acknowledged or accepted by the peer (publishFailures' unsent + unacknowledged + refusedByPeer).
    /// </summary>
    public static double ErrorRate(long sent, long failed, long dropped) => sent + failed == 0 ? 0 : (double)(failed + dropped) / (sent + failed);
}
