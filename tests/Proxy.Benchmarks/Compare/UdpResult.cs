namespace Proxy.Benchmarks.Compare;

/// <summary>Every run of one UDP case for one contender: what the iperf3 server received and what the client sent
/// (Gbit/s), the datagrams lost on the way (%), and the contender's CPU share (1.0 = all of the proxy core).</summary>
internal sealed record UdpResult(
    Contender Contender, UdpCase Case, IReadOnlyList<double> ReceivedGbps, IReadOnlyList<double> SentGbps, IReadOnlyList<double> LostPercent,
    IReadOnlyList<double> CpuShares, IReadOnlyList<double> LoadCoreBusy, long PeakRssBytes, string? Error, bool Unsupported = false)
{
    public double MedianReceivedGbps => Statistics.Median(ReceivedGbps);

    public double MedianSentGbps => Statistics.Median(SentGbps);

    public double MedianLostPercent => Statistics.Median(LostPercent);

    /// <summary>NaN for the direct route, which has no process to measure.</summary>
    public double MedianCpu => CpuShares.Count == 0 ? double.NaN : Statistics.Median(CpuShares);

    public double MedianLoadCoreBusy => Statistics.Median(LoadCoreBusy);

    /// <summary>Received throughput per proxy core.</summary>
    public double GbpsPerCore => MedianCpu > 0 ? MedianReceivedGbps / MedianCpu : double.NaN;
}
