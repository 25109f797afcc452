namespace Proxy.Benchmarks.Compare;

/// <summary>One measured run of a load against a contender: the load's own figure, the contender's CPU share (1.0 = the
/// whole proxy core; NaN for the direct route), how busy the load core was, the contender's peak resident memory and its
/// context switches (0 for the direct route).</summary>
internal sealed record SampledRun<T>(T Value, double CpuShare, double LoadCoreBusy, long PeakRssBytes, long ContextSwitches);

internal static class SampledRun
{
    /// <summary>Runs <paramref name="load"/> once while sampling <paramref name="running"/>'s processes and the load core.</summary>
    public static async Task<SampledRun<T>> MeasureAsync<T>(RunningContender running, Func<Task<T>> load)
    {
        var pids = running.Pids;
        var sampler = pids.Length == 0 ? null : ResourceSampler.Start(pids);
        var loadCore = CoreLoad.Start(Pinned.LoadCore);
        try
        {
            var value = await load().ConfigureAwait(false);
            var busy = loadCore.Stop();
            var (share, peak, switches) = sampler is null ? (double.NaN, 0L, 0L) : await sampler.StopAsync().ConfigureAwait(false);
            return new SampledRun<T>(value, share, busy, peak, switches);
        }
        finally
        {
            if (sampler is not null)
            {
                await sampler.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>The median CPU share of some runs (NaN when none was measured).</summary>
    public static double MedianCpu<T>(IEnumerable<SampledRun<T>> runs) =>
        runs.Select(r => r.CpuShare).Where(double.IsFinite).ToList() is { Count: > 0 } shares ? Statistics.Median(shares) : double.NaN;

    public static double MedianLoad<T>(IEnumerable<SampledRun<T>> runs) => Statistics.Median([.. runs.Select(r => r.LoadCoreBusy)]);

    public static long PeakRss<T>(IEnumerable<SampledRun<T>> runs) => runs.Select(r => r.PeakRssBytes).DefaultIfEmpty().Max();
}
