using System.Globalization;

namespace Proxy.Benchmarks.Compare;

/// <summary>What one wrk run printed: requests per second, the latency percentiles of its "Latency Distribution" block
/// in microseconds, and the requests that failed (socket errors by kind, non-2xx/3xx answers).</summary>
internal sealed record WrkResult(
    double RequestsPerSecond, double P50Us, double P75Us, double P90Us, double P99Us,
    long ConnectErrors, long ReadErrors, long WriteErrors, long Timeouts, long Non2xx)
{
    /// <summary>Every failed request or socket of the run.</summary>
    public long Errors => ConnectErrors + ReadErrors + WriteErrors + Timeouts + Non2xx;

    /// <summary>"0", or each kind that occurred: "connect 3, read 12".</summary>
    public string ErrorSummary
    {
        get
        {
            (string Kind, long Count)[] kinds =
                [("connect", ConnectErrors), ("read", ReadErrors), ("write", WriteErrors), ("timeout", Timeouts), ("non-2xx", Non2xx)];
            var seen = kinds.Where(k => k.Count > 0).Select(k => string.Create(CultureInfo.InvariantCulture, $"{k.Kind} {k.Count}")).ToList();
            return seen.Count == 0 ? "0" : string.Join(", ", seen);
        }
    }
}
