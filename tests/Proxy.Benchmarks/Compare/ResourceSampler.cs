using System.Diagnostics;

namespace Proxy.Benchmarks.Compare;

/// <summary>Measures a contender over one run: its CPU share (CPU seconds per wall second, 1.0 = one whole core)
/// from /proc/PID/stat, and its peak resident memory (VmHWM summed over its processes, sampled every 250 ms).</summary>
internal sealed class ResourceSampler : IAsyncDisposable
{
    private readonly int _root;
    private readonly long _startTicks;
    private readonly long _startTimestamp;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _peakBytes;

    private ResourceSampler(int root)
    {
        _root = root;
        _startTicks = ProcessTree.CpuTicks(root);
        _startTimestamp = Stopwatch.GetTimestamp();
        _loop = SampleAsync();
    }

    public static ResourceSampler Start(int root) => new(root);

    /// <summary>CPU share since the start and the peak memory seen.</summary>
    public async Task<(double CpuShare, long PeakBytes)> StopAsync()
    {
        var ticks = ProcessTree.CpuTicks(_root) - _startTicks;
        var seconds = Stopwatch.GetElapsedTime(_startTimestamp).TotalSeconds;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        Sample();
        return (ticks / ProcessTree.TicksPerSecond / seconds, Interlocked.Read(ref _peakBytes));
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
        var bytes = ProcessTree.SumStatusBytes(_root, "VmHWM");
        if (bytes > Interlocked.Read(ref _peakBytes))
        {
            Interlocked.Exchange(ref _peakBytes, bytes);
        }
    }
}
