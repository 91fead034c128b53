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
            reasons.Add(string.Create(CultureInfo.InvariantCulture, $"message error rate {totals.ErrorRate:0.####} ({totals.MessagesFailed} of {totals.MessagesSent + totals.MessagesFailed} failed) is above --max-error-rate {thresholds.MaxErrorRate}"));
        }

        var status = interrupted ? RunStatus.Interrupted : reasons.Count > 0 ? RunStatus.Failed : RunStatus.Ok;
        return (status, reasons);
    }

    public static double ErrorRate(long sent, long failed) => sent + failed == 0 ? 0 : (double)failed / (sent + failed);
}
