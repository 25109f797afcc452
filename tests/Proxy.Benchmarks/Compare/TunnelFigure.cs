namespace Proxy.Benchmarks.Compare;

/// <summary>Every run of one figure of the tunnel measure (Gbit/s one way, or tunnels per second) with the contender's
/// CPU share (1.0 = the whole proxy core) and how busy the load core was in each.</summary>
internal sealed record TunnelFigure(IReadOnlyList<double> Values, IReadOnlyList<double> CpuShares, IReadOnlyList<double> LoadCoreBusy)
{
    public static TunnelFigure None { get; } = new([], [], []);

    public double Median => Statistics.Median(Values);

    public double MedianCpu => Statistics.Median(CpuShares);

    public double MedianLoadCoreBusy => Statistics.Median(LoadCoreBusy);

    /// <summary>The figure per proxy core: what the contender would do with a whole core to itself.</summary>
    public double PerCore => MedianCpu > 0 ? Median / MedianCpu : double.NaN;

    public static TunnelFigure Of<T>(IReadOnlyList<SampledRun<T>> runs, Func<T, double> value) =>
        new([.. runs.Select(r => value(r.Value))], [.. runs.Select(r => r.CpuShare)], [.. runs.Select(r => r.LoadCoreBusy)]);
}
