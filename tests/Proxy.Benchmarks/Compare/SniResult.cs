namespace Proxy.Benchmarks.Compare;

/// <summary>Every run of the SNI measure for one contender: the load's counts, the contender's CPU share (1.0 = the whole
/// proxy core), CPU milliseconds per 1,000 handshakes and context switches per handshake of each run.</summary>
internal sealed record SniResult(
    SniContender Contender, IReadOnlyList<HandshakeCounts> Counts, IReadOnlyList<double> CpuShares, IReadOnlyList<double> CpuMsPerThousand,
    IReadOnlyList<double> SwitchesPerHandshake, IReadOnlyList<double> LoadCoreBusy, long PeakRssBytes, WarmUpResult? WarmUp, string? Error)
{
    public double MedianSwitchesPerHandshake => Statistics.Median(SwitchesPerHandshake);

    public double MedianAchieved => Statistics.Median([.. Counts.Select(c => c.PerSecond)]);

    public double MedianCpu => Statistics.Median(CpuShares);

    public double MedianCpuMsPerThousand => Statistics.Median(CpuMsPerThousand);

    public double MedianLoadCoreBusy => Statistics.Median(LoadCoreBusy);

    /// <summary>Over every run: failed connections (including starts skipped because too many were in flight).</summary>
    public int Failures => Counts.Sum(c => c.Failures + c.Skipped);

    public int Misroutes => Counts.Sum(c => c.Misroutes);

    public string? FirstError => Counts.Select(c => c.FirstError).FirstOrDefault(e => e is not null);
}
