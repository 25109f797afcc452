using System.Globalization;
using System.Text.Json;

namespace Proxy.Benchmarks.Compare;

/// <summary>TCP forward throughput: iperf3 (server and client on the load core) through each contender (on the proxy
/// core). Each contender is warmed with bidirectional runs until steady, then every case runs
/// <see cref="CompareOptions.Runs"/> times while its CPU share and peak memory are sampled.</summary>
internal sealed class ThroughputBenchmark(CompareOptions options, IReadOnlyList<Contender> contenders) : IMeasure
{
    public string Key => "throughput";

    public async Task<MeasureReport> RunAsync(CancellationToken cancellation)
    {
        var results = await MeasureAllAsync(cancellation).ConfigureAwait(false);
        var md = new System.Text.StringBuilder();
        var bars = new List<BarCheck>();
        foreach (var group in results.GroupBy(r => r.Case))
        {
            md.Append(Render(group.Key, [.. group]));
            var ours = group.FirstOrDefault(r => r.Contender is ProxyContender);
            var splice = group.FirstOrDefault(r => r.Contender is HaproxyContender { Splice: true });
            if (ours is not null && splice is not null)
            {
                bars.Add(new BarCheck(
                    $"TCP forward, {group.Key.Title} ≥ HAProxy with splice",
                    Gbps(ours), $"{Gbps(splice)} (HAProxy splice)", ours.MedianGbps / splice.MedianGbps));
            }
        }

        return new MeasureReport(md.ToString(), bars);
    }

    private static string Gbps(ThroughputResult result) =>
        result.Error is null ? string.Create(CultureInfo.InvariantCulture, $"{result.MedianGbps:F2} Gbit/s") : "failed";

    private async Task<List<ThroughputResult>> MeasureAllAsync(CancellationToken cancellation)
    {
        var perContender = options.MaxWarmUp + (ThroughputCase.All.Count * options.Runs * (options.Duration + TimeSpan.FromSeconds(30)));
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
                var warm = await SteadyWarmUp.RunAsync(
                    contender.Name, options, (time, token) => IperfAsync(running.Port, time, ["--bidir", "-P", "2"], token), cancellation)
                    .ConfigureAwait(false);
                foreach (var shape in ThroughputCase.All)
                {
                    results.Add(await MeasureAsync(contender, running, shape, cancellation).ConfigureAwait(false) with { WarmUp = warm });
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
        string[] extra = shape.Reverse ? ["-P", Text(shape.Streams), "-R"] : ["-P", Text(shape.Streams)];
        var runs = new List<SampledRun<double>>();
        for (var run = 0; run < options.Runs; run++)
        {
            runs.Add(await SampledRun.MeasureAsync(running, () => IperfAsync(running.Port, options.Duration, extra, cancellation)).ConfigureAwait(false));
        }

        var result = new ThroughputResult(
            contender, shape, [.. runs.Select(r => r.Value / 1e9)], [.. runs.Select(r => r.CpuShare).Where(double.IsFinite)],
            [.. runs.Select(r => r.LoadCoreBusy)], SampledRun.PeakRss(runs), null);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {shape.Title}: {result.MedianGbps:F2} Gbit/s, cpu {result.MedianCpu:F2}, load core {result.MedianLoadCoreBusy:F2}"));
        return result;
    }

    private static string Render(ThroughputCase shape, List<ThroughputResult> rows)
    {
        var md = new System.Text.StringBuilder();
        md.Append(CultureInfo.InvariantCulture, $"## TCP forward throughput: {shape.Title}\n\n");
        md.Append("iperf3 through a Forward route (this proxy) or its equivalent; Gbit/s received, median. Higher is better. "
            + "Gbit/s per proxy core = Gbit/s / CPU share. A load core near 1.00 means iperf3 itself was the limit, "
            + "so compare the per-core figure there. Warm-up: `iperf3 --bidir -P 2` in 5 s slices until steady.\n\n");
        var peers = rows.Where(r => r.Contender.IsPeer && r.Error is null).ToList();
        var bestGbps = peers.Count > 0 ? peers.Max(r => r.MedianGbps) : double.NaN;
        var bestPerCore = peers.Count > 0 ? peers.Max(r => r.GbpsPerCore) : double.NaN;
        var table = new MarkdownTable(
            "Contender", "Gbit/s", "vs best peer", "CPU share", "Gbit/s per proxy core", "per core vs best peer", "Load core busy", "Peak RSS", "Warm-up", "<Runs");
        foreach (var row in rows)
        {
            if (row.Error is not null)
            {
                table.Failed(row.Contender.Name, row.Error);
                continue;
            }

            table.Row(
                row.Contender.Name, MarkdownTable.Number(row.MedianGbps, "F2"), MarkdownTable.Ratio(row.MedianGbps, bestGbps),
                MarkdownTable.Number(row.MedianCpu, "F2"), MarkdownTable.Number(row.GbpsPerCore, "F2"), MarkdownTable.Ratio(row.GbpsPerCore, bestPerCore),
                MarkdownTable.Number(row.MedianLoadCoreBusy, "F2"), MarkdownTable.Mib(row.PeakRssBytes), row.WarmUp?.Short ?? "–",
                MarkdownTable.Runs(row.Gbps, "F2"));
        }

        return md.Append(table).Append('\n').ToString();
    }

    /// <summary>One iperf3 client run on the load core; the bits per second the receiver got.</summary>
    /// <summary>The bits per second the receiver got; for a <c>--bidir</c> run both directions together (how the link
    /// is split between them swings from slice to slice, their sum does not).</summary>
    private static async Task<double> IperfAsync(int port, TimeSpan duration, string[] extra, CancellationToken cancellation)
    {
        var end = await Iperf3Client.RunAsync(port, duration, extra, cancellation).ConfigureAwait(false);
        var received = end.GetProperty("sum_received").GetProperty("bits_per_second").GetDouble();
        return end.TryGetProperty("sum_received_bidir_reverse", out var reverse) ? received + reverse.GetProperty("bits_per_second").GetDouble() : received;
    }

    private static string Text(int value) => Iperf3Client.Text(value);

    private static string FirstLine(string text) => text.Split('\n')[0];
}
