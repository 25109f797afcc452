using System.Diagnostics;

namespace Proxy.Benchmarks.Compare;

/// <summary>Measures a contender over one run: its CPU share (CPU seconds per wall second, 1.0 = one whole core)
/// from /proc/PID/stat, and its peak resident memory (VmHWM summed over its processes, sampled every 250 ms); summed
/// over every root given (a relay is two proxy processes); and its context switches over the run.</summary>
internal sealed class ResourceSampler : IAsyncDisposable
{
    private readonly int[] _roots;
    private readonly long _startTicks;
    private readonly long _startSwitches;
    private readonly long _startTimestamp;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _peakBytes;

    private ResourceSampler(int[] roots)
    {
        _roots = roots;
        _startTicks = roots.Sum(ProcessTree.CpuTicks);
        _startSwitches = roots.Sum(ProcessTree.ContextSwitches);
        _startTimestamp = Stopwatch.GetTimestamp();
        _loop = SampleAsync();
    }

    public static ResourceSampler Start(params int[] roots) => new(roots);

    /// <summary>CPU share since the start, the peak memory seen and the context switches since the start.</summary>
    public async Task<(double CpuShare, long PeakBytes, long ContextSwitches)> StopAsync()
    {
        var ticks = _roots.Sum(ProcessTree.CpuTicks) - _startTicks;
        var switches = _roots.Sum(ProcessTree.ContextSwitches) - _startSwitches;
        var seconds = Stopwatch.GetElapsedTime(_startTimestamp).TotalSeconds;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        Sample();
        return (ticks / ProcessTree.TicksPerSecond / seconds, Interlocked.Read(ref _peakBytes), switches);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task SampleAsync()
    {
        try
        {
            while (true)
            {
                Sample();
                await Task.Delay(250, _stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Sample()
    {
        var bytes = _roots.Sum(root => ProcessTree.SumStatusBytes(root, "VmHWM"));
        if (bytes > Interlocked.Read(ref _peakBytes))
        {
            Interlocked.Exchange(ref _peakBytes, bytes);
        }
    }
}
