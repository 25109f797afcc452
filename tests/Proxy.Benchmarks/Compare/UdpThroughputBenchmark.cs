using System.Globalization;
using System.Text.Json;

namespace Proxy.Benchmarks.Compare;

/// <summary>UDP forward throughput: <c>iperf3 -u -b 0</c> (server and client on the load core) through each contender
/// that forwards both TCP and UDP on one port number (on the proxy core): iperf3's control connection is TCP, its
/// datagrams UDP to the same number. Each contender is warmed with one run of the first case, then every case runs
/// <see cref="CompareOptions.Runs"/> times while its CPU share and peak memory are sampled. The figures are what the
/// iperf3 server received (<c>end.sum_received.bits_per_second</c>; in iperf3 3.12 <c>end.sum</c> is the sender's) and
/// the datagrams lost between client and server (<c>lost_percent</c>: sequence gaps the server counted).</summary>
internal sealed class UdpThroughputBenchmark(CompareOptions options, IReadOnlyList<Contender> contenders) : IMeasure
{
    public string Key => "udp";

    public async Task<MeasureReport> RunAsync(CancellationToken cancellation)
    {
        var results = await MeasureAllAsync(cancellation).ConfigureAwait(false);
        var md = new System.Text.StringBuilder();
        foreach (var group in results.GroupBy(r => r.Case))
        {
            md.Append(Render(group.Key, [.. group]));
        }

        return new MeasureReport(md.ToString(), []);
    }

    private async Task<List<UdpResult>> MeasureAllAsync(CancellationToken cancellation)
    {
        var perContender = options.MaxWarmUp + (UdpCase.All.Count * options.Runs * (options.Duration + TimeSpan.FromSeconds(30)));
        var results = new List<UdpResult>();
        var iperfPort = LoopbackPorts.FreeForTcpAndUdp();
        await using var server = Pinned.Start(
            Pinned.LoadCore, "iperf3", ["-s", "-B", "127.0.0.1", "-p", Iperf3Client.Text(iperfPort)], (perContender * contenders.Count) + TimeSpan.FromMinutes(5));
        if (!await LoopbackPorts.WaitListeningAsync(iperfPort, server, TimeSpan.FromSeconds(10), cancellation).ConfigureAwait(false))
        {
            throw new InvalidOperationException($"iperf3 -s did not listen: {server.Error}");
        }

        foreach (var contender in contenders)
        {
            Console.WriteLine($"udp: {contender.Name}");
            if (contender.UdpUnsupported is { } unsupported)
            {
                Console.WriteLine($"  {unsupported}");
                results.AddRange(UdpCase.All.Select(shape => new UdpResult(contender, shape, [], [], [], [], [], 0, unsupported, Unsupported: true)));
                continue;
            }

            try
            {
                await using var running = await contender.StartTcpAndUdpAsync(iperfPort, perContender + TimeSpan.FromMinutes(2), cancellation).ConfigureAwait(false);

                // Only client → target carries data, so one warm-up run of the first shape reaches the final tier.
                await SteadyWarmUp.RunAsync(
                    contender.Name, options,
                    async (time, token) => (await Iperf3Client.RunAsync(running.Port, time, UdpCase.All[0].IperfArguments, token).ConfigureAwait(false))
                        .GetProperty("sum_received").GetProperty("bits_per_second").GetDouble(),
                    cancellation).ConfigureAwait(false);
                foreach (var shape in UdpCase.All)
                {
                    results.Add(await MeasureAsync(contender, running, shape, cancellation).ConfigureAwait(false));
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or JsonException or KeyNotFoundException)
            {
                Console.WriteLine($"  failed: {ex.Message}");
                results.AddRange(UdpCase.All.Select(shape => new UdpResult(contender, shape, [], [], [], [], [], 0, ex.Message.Split('\n')[0])));
            }
        }

        return results;
    }

    private async Task<UdpResult> MeasureAsync(Contender contender, RunningContender running, UdpCase shape, CancellationToken cancellation)
    {
        var received = new List<double>();
        var sent = new List<double>();
        var lost = new List<double>();
        var cpu = new List<double>();
        var load = new List<double>();
        long peak = 0;
        for (var run = 0; run < options.Runs; run++)
        {
            var sample = await SampledRun.MeasureAsync(
                running, () => Iperf3Client.RunAsync(running.Port, options.Duration, shape.IperfArguments, cancellation)).ConfigureAwait(false);
            var end = sample.Value;
            load.Add(sample.LoadCoreBusy);
            var receiver = end.GetProperty("sum_received");
            received.Add(receiver.GetProperty("bits_per_second").GetDouble() / 1e9);
            sent.Add(end.GetProperty("sum_sent").GetProperty("bits_per_second").GetDouble() / 1e9);
            lost.Add((receiver.TryGetProperty("lost_percent", out var percent) ? percent : end.GetProperty("sum").GetProperty("lost_percent")).GetDouble());
            if (double.IsFinite(sample.CpuShare))
            {
                cpu.Add(sample.CpuShare);
            }

            peak = Math.Max(peak, sample.PeakRssBytes);
        }

        var result = new UdpResult(contender, shape, received, sent, lost, cpu, load, peak, null);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {shape.Title}: {result.MedianReceivedGbps:F2} Gbit/s received of {result.MedianSentGbps:F2} sent, lost {result.MedianLostPercent:F1} %, cpu {result.MedianCpu:F2}, load core {result.MedianLoadCoreBusy:F2}"));
        return result;
    }

    private static string Render(UdpCase shape, List<UdpResult> rows)
    {
        var md = new System.Text.StringBuilder();
        md.Append(CultureInfo.InvariantCulture, $"## UDP forward throughput: {shape.Title}\n\n");
        md.Append(CultureInfo.InvariantCulture, $"`iperf3 -u -b 0 -l {shape.DatagramBytes}`, one stream, client → target, through a UDP route plus a TCP Forward route on the same ")
            .Append("port (iperf3's control connection) or the peer's equivalent. Received = what the iperf3 server got (`end.sum_received`), ")
            .Append("median; higher is better. `-b 0` sends as fast as the client can, so datagrams are lost wherever a socket buffer ")
            .Append("overflows, on the direct route too: lost % is the server's count of sequence gaps. Gbit/s per proxy core = received / CPU share.\n\n");
        var peers = rows.Where(r => r.Contender.IsPeer && r.Error is null).ToList();
        var bestGbps = peers.Count > 0 ? peers.Max(r => r.MedianReceivedGbps) : double.NaN;
        var bestPerCore = peers.Count > 0 ? peers.Max(r => r.GbpsPerCore) : double.NaN;
        var table = new MarkdownTable(
            "Contender", "Received Gbit/s", "vs best peer", "Sent Gbit/s", "Lost %", "CPU share", "Gbit/s per proxy core", "per core vs best peer",
            "Load core busy", "Peak RSS", "<Runs (received)");
        foreach (var row in rows)
        {
            if (row.Error is not null)
            {
                table.Row(row.Contender.Name, (row.Unsupported ? "" : "failed: ") + row.Error);
                continue;
            }

            table.Row(
                row.Contender.Name, MarkdownTable.Number(row.MedianReceivedGbps, "F2"), MarkdownTable.Ratio(row.MedianReceivedGbps, bestGbps),
                MarkdownTable.Number(row.MedianSentGbps, "F2"), MarkdownTable.Number(row.MedianLostPercent, "F1"), MarkdownTable.Number(row.MedianCpu, "F2"),
                MarkdownTable.Number(row.GbpsPerCore, "F2"), MarkdownTable.Ratio(row.GbpsPerCore, bestPerCore), MarkdownTable.Number(row.MedianLoadCoreBusy, "F2"),
                MarkdownTable.Mib(row.PeakRssBytes), MarkdownTable.Runs(row.ReceivedGbps, "F2"));
        }

        return md.Append(table).Append('\n').ToString();
    }
}
