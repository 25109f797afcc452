namespace Proxy.Benchmarks.Compare;

/// <summary>Every run of one case for one contender. CPU share is in cores (1.0 = all of the proxy core).</summary>
internal sealed record ThroughputResult(
    Contender Contender, ThroughputCase Case, IReadOnlyList<double> Gbps, IReadOnlyList<double> CpuShares, IReadOnlyList<double> LoadCoreBusy, long PeakRssBytes, string? Error)
{
    /// <summary>How the contender was warmed before its runs.</summary>
    public WarmUpResult? WarmUp { get; init; }

    public double MedianGbps => Statistics.Median(Gbps);

    /// <summary>NaN for the direct route, which has no process to measure.</summary>
    public double MedianCpu => CpuShares.Count == 0 ? double.NaN : Statistics.Median(CpuShares);

    /// <summary>How busy the load core was (iperf3 client and server): near 1.0, the figure is bounded by the load.</summary>
    public double MedianLoadCoreBusy => Statistics.Median(LoadCoreBusy);

    /// <summary>Throughput per proxy core: what it would move with a whole core to itself.</summary>
    public double GbpsPerCore => MedianCpu > 0 ? MedianGbps / MedianCpu : double.NaN;
}
