using System.Globalization;
using System.Text.Json;

namespace Proxy.Benchmarks.Compare;

/// <summary>TCP forward throughput: iperf3 (server and client on the load core) through each contender (on the proxy
/// core). Each contender is warmed with a bidirectional run, then every case runs <see cref="CompareOptions.Runs"/>
/// times while its CPU share and peak memory are sampled.</summary>
internal sealed class ThroughputBenchmark(CompareOptions options)
{
    public async Task<List<ThroughputResult>> RunAsync(IReadOnlyList<Contender> contenders, CancellationToken cancellation)
    {
        var perContender = options.WarmUp + (ThroughputCase.All.Count * options.Runs * (options.Duration + TimeSpan.FromSeconds(30)));
        var results = new List<ThroughputResult>();
        var iperfPort = LoopbackPorts.Free();
        await using var server = Pinned.Start(
            Pinned.LoadCore, "iperf3", ["-s", "-B", "127.0.0.1", "-p", Text(iperfPort)], (perContender * contenders.Count) + TimeSpan.FromMinutes(5));
        if (!await LoopbackPorts.WaitListeningAsync(iperfPort, server, TimeSpan.FromSeconds(10), cancellation).ConfigureAwait(false))
        {
            throw new InvalidOperationException($"iperf3 -s did not listen: {server.Error}");
        }

        foreach (var contender in contenders)
        {
            Console.WriteLine($"throughput: {contender.Name}");
            try
            {
                await using var running = await contender.StartAsync(iperfPort, 1000, perContender + TimeSpan.FromMinutes(2), cancellation).ConfigureAwait(false);

                // Warm both directions at once: the two copy loops are different code, each must reach its final tier.
                await IperfAsync(running.Port, options.WarmUp, ["--bidir", "-P", "2"], cancellation).ConfigureAwait(false);
                foreach (var shape in ThroughputCase.All)
                {
                    results.Add(await MeasureAsync(contender, running, shape, cancellation).ConfigureAwait(false));
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or JsonException)
            {
                Console.WriteLine($"  failed: {ex.Message}");
                results.AddRange(ThroughputCase.All.Select(shape => new ThroughputResult(contender, shape, [], [], [], 0, FirstLine(ex.Message))));
            }
        }

        return results;
    }

    private async Task<ThroughputResult> MeasureAsync(Contender contender, RunningContender running, ThroughputCase shape, CancellationToken cancellation)
    {
        var gbps = new List<double>();
        var cpu = new List<double>();
        var load = new List<double>();
        long peak = 0;
        string[] extra = shape.Reverse ? ["-P", Text(shape.Streams), "-R"] : ["-P", Text(shape.Streams)];
        for (var run = 0; run < options.Runs; run++)
        {
            var sampler = running.Process is null ? null : ResourceSampler.Start(running.Process.Pid);
            var loadCore = CoreLoad.Start(Pinned.LoadCore);
            try
            {
                var bitsPerSecond = await IperfAsync(running.Port, options.Duration, extra, cancellation).ConfigureAwait(false);
                gbps.Add(bitsPerSecond / 1e9);
                load.Add(loadCore.Stop());
                if (sampler is not null)
                {
                    var (share, peakBytes) = await sampler.StopAsync().ConfigureAwait(false);
                    cpu.Add(share);
                    peak = Math.Max(peak, peakBytes);
                }
            }
            finally
            {
                if (sampler is not null)
                {
                    await sampler.DisposeAsync().ConfigureAwait(false);
                }
            }
        }

        var result = new ThroughputResult(contender, shape, gbps, cpu, load, peak, null);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {shape.Title}: {result.MedianGbps:F2} Gbit/s, cpu {result.MedianCpu:F2}, load core {result.MedianLoadCoreBusy:F2}"));
        return result;
    }

    /// <summary>One iperf3 client run on the load core; the bits per second the receiver got.</summary>
    private static async Task<double> IperfAsync(int port, TimeSpan duration, string[] extra, CancellationToken cancellation)
    {
        var end = await Iperf3Client.RunAsync(port, duration, extra, cancellation).ConfigureAwait(false);
        return end.GetProperty("sum_received").GetProperty("bits_per_second").GetDouble();
    }

    private static string Text(int value) => Iperf3Client.Text(value);

    private static string FirstLine(string text) => text.Split('\n')[0];
}
