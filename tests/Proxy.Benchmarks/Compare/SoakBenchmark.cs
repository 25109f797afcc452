using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Proxy.Benchmarks.Compare;

/// <summary>The soak: this proxy under a changing load for <see cref="CompareOptions.Soak"/> (10 minutes), its resident
/// memory sampled every 5 s. The load cycles through the shapes that churn different parts of it: bulk bytes both ways
/// (iperf3 <c>--bidir -P 4</c> through a Forward route), short connections (wrk <c>Connection: close</c> through a
/// Forward route to nginx) and HTTP requests (wrk keep-alive through a YARP route to nginx), 20 s each. No growth
/// means the peak of the second half is within 5 % of the peak of the first half, and every connection is gone once
/// the load stops (the proxy's own <c>proxy_connections_active</c> gauge).</summary>
internal sealed class SoakBenchmark(CompareOptions options) : IMeasure
{
    private const double AllowedGrowth = 0.05;
    private static readonly TimeSpan SampleEvery = TimeSpan.FromSeconds(5);

    public string Key => "soak";

    /// <summary>20 s a phase; shorter in a short (quick) soak, so it still cycles through every shape.</summary>
    private TimeSpan Phase => TimeSpan.FromSeconds(Math.Clamp(options.Soak.TotalSeconds / 30, 3, 20));

    public async Task<MeasureReport> RunAsync(CancellationToken cancellation)
    {
        Console.WriteLine($"soak: this proxy, {options.Soak.TotalMinutes:F1} min");
        var lifetime = options.Soak + TimeSpan.FromMinutes(5);
        await using var backend = await NginxHttpBackend.StartAsync(lifetime, cancellation).ConfigureAwait(false);
        var iperfPort = LoopbackPorts.Free();
        await using var iperf = Pinned.Start(Pinned.LoadCore, "iperf3", ["-s", "-B", "127.0.0.1", "-p", Iperf3Client.Text(iperfPort)], lifetime);
        if (!await LoopbackPorts.WaitListeningAsync(iperfPort, iperf, TimeSpan.FromSeconds(10), cancellation).ConfigureAwait(false))
        {
            throw new InvalidOperationException($"iperf3 -s did not listen: {iperf.Error}");
        }

        int bulkPort = LoopbackPorts.Free(), shortPort = LoopbackPorts.Free(), httpPort = LoopbackPorts.Free(), adminPort = LoopbackPorts.Free();
        object[] routes =
        [
            ProxyProcess.Route("bulk", bulkPort, new { Type = "Forward", Targets = new[] { $"127.0.0.1:{iperfPort}" } }),
            ProxyProcess.Route("short", shortPort, new { Type = "Forward", Targets = new[] { $"127.0.0.1:{backend.Port}" } }),
            ProxyProcess.Route("http", httpPort, new { Type = "Http", Targets = new[] { $"http://127.0.0.1:{backend.Port}" } }),
        ];
        var admin = new Dictionary<string, object> { ["Admin"] = new { Urls = new[] { $"http://127.0.0.1:{adminPort}" } } };
        try
        {
            await using var proxy = await ProxyProcess.StartAsync("this proxy", httpPort, routes, 1000, udp: false, lifetime, cancellation, admin)
                .ConfigureAwait(false);
            var soak = await SoakAsync(proxy.Process!.Pid, bulkPort, shortPort, httpPort, cancellation).ConfigureAwait(false);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var active = await ActiveConnectionsAsync(http, adminPort, cancellation).ConfigureAwait(false);
            return Render(soak with { ActiveAfter = active });
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or HttpRequestException)
        {
            Console.WriteLine($"  failed: {ex.Message}");
            return new MeasureReport($"## Soak\n\nfailed: {MarkdownTable.Escape(ex.Message.Split('\n')[0])}\n\n", []);
        }
    }

    private async Task<SoakResult> SoakAsync(int pid, int bulkPort, int shortPort, int httpPort, CancellationToken cancellation)
    {
        var samples = new List<(TimeSpan At, long Rss)>();
        var clock = Stopwatch.StartNew();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var sampling = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(SampleEvery);
            do
            {
                samples.Add((clock.Elapsed, ProcessTree.SumStatusBytes(pid, "VmRSS")));
            }
            while (await timer.WaitForNextTickAsync(stop.Token).ConfigureAwait(false));
        }, CancellationToken.None);

        var cycles = 0;
        var requests = 0.0;
        var errors = 0L;
        var bytes = 0.0;
        try
        {
            while (clock.Elapsed + Phase <= options.Soak || cycles == 0)
            {
                var phase = Seconds(Min(Phase, options.Soak - clock.Elapsed));
                switch (cycles++ % 3)
                {
                    case 0:
                        var end = await Iperf3Client.RunAsync(bulkPort, phase, ["--bidir", "-P", "4"], cancellation).ConfigureAwait(false);
                        bytes += end.GetProperty("sum_received").GetProperty("bytes").GetDouble()
                            + end.GetProperty("sum_received_bidir_reverse").GetProperty("bytes").GetDouble();
                        break;
                    case 1:
                        var close = await WrkClient.RunAsync(shortPort, 32, phase, ["-H", "Connection: close"], cancellation).ConfigureAwait(false);
                        requests += close.RequestsPerSecond * phase.TotalSeconds;
                        errors += close.Errors;
                        break;
                    default:
                        var keepAlive = await WrkClient.RunAsync(httpPort, 64, phase, [], cancellation).ConfigureAwait(false);
                        requests += keepAlive.RequestsPerSecond * phase.TotalSeconds;
                        errors += keepAlive.Errors;
                        break;
                }
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await sampling.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        samples.Add((clock.Elapsed, ProcessTree.SumStatusBytes(pid, "VmRSS")));
        return new SoakResult(samples, cycles, requests, errors, bytes, -1);
    }

    private static async Task<long> ActiveConnectionsAsync(HttpClient http, int adminPort, CancellationToken cancellation)
    {
        // Closing is asynchronous: give the last connections a moment to be counted out.
        for (var attempt = 0; ; attempt++)
        {
            var text = await http.GetStringAsync(new Uri($"http://127.0.0.1:{adminPort}/metrics"), cancellation).ConfigureAwait(false);
            var line = text.Split('\n').FirstOrDefault(l => l.StartsWith("proxy_connections_active ", StringComparison.Ordinal))
                ?? throw new InvalidOperationException("/metrics has no proxy_connections_active");
            var active = long.Parse(line["proxy_connections_active ".Length..], CultureInfo.InvariantCulture);
            if (active == 0 || attempt == 20)
            {
                return active;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellation).ConfigureAwait(false);
        }
    }

    private MeasureReport Render(SoakResult soak)
    {
        var half = options.Soak / 2;
        var first = soak.Samples.Where(s => s.At <= half).Select(s => s.Rss).DefaultIfEmpty().Max();
        var second = soak.Samples.Where(s => s.At > half).Select(s => s.Rss).DefaultIfEmpty().Max();
        var growth = first > 0 ? ((double)second / first) - 1 : double.NaN;
        var md = new StringBuilder("## Soak: memory under a changing load\n\n");
        md.Append(CultureInfo.InvariantCulture, $"This proxy for {options.Soak.TotalMinutes:F1} min, cycling {Phase.TotalSeconds:F0} s phases: `iperf3 --bidir -P 4` through a ")
            .Append("Forward route, `wrk -c32 -H 'Connection: close'` through a Forward route to nginx, `wrk -c64` keep-alive through a YARP ")
            .Append("route to nginx. Resident memory (VmRSS) sampled every 5 s. No growth = the second half's peak within 5 % of the first half's, ")
            .Append("and no connection left open after the load (`proxy_connections_active` on /metrics).\n\n");
        var table = new MarkdownTable(
            "Phases", "Bytes moved", "Requests", "Errors", "Peak RSS, first half", "Peak RSS, second half", "Growth", "RSS at the end", "Active connections after");
        table.Row(
            soak.Cycles.ToString(CultureInfo.InvariantCulture), string.Create(CultureInfo.InvariantCulture, $"{soak.Bytes / 1e9:F1} GB"),
            soak.Requests.ToString("N0", CultureInfo.InvariantCulture), soak.Errors.ToString(CultureInfo.InvariantCulture),
            MarkdownTable.Mib(first), MarkdownTable.Mib(second), MarkdownTable.Number(growth * 100, "F1") + " %",
            MarkdownTable.Mib(soak.Samples[^1].Rss), soak.ActiveAfter.ToString(CultureInfo.InvariantCulture));
        md.Append(table).Append('\n');
        md.Append("RSS by minute: ").AppendJoin(", ", soak.Samples
            .GroupBy(s => (int)s.At.TotalMinutes)
            .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Key}: {g.Max(s => s.Rss) / 1048576.0:F1}"))).Append(" MiB\n\n");
        var bar = new BarCheck(
            "No memory growth over the soak; no connection left after it",
            string.Create(CultureInfo.InvariantCulture, $"{growth * 100:F1} % growth, {soak.ActiveAfter} left"),
            "≤ 5 % growth, 0 left",
            soak.ActiveAfter == 0 && double.IsFinite(growth) ? (1 + AllowedGrowth) / (1 + Math.Max(growth, -0.99)) : 0);
        return new MeasureReport(md.ToString(), [bar]);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>Whole seconds, at least 3 (iperf3 and wrk take whole seconds).</summary>
    private static TimeSpan Seconds(TimeSpan time) => TimeSpan.FromSeconds(Math.Max(3, (int)time.TotalSeconds));

    private sealed record SoakResult(List<(TimeSpan At, long Rss)> Samples, int Cycles, double Requests, long Errors, double Bytes, long ActiveAfter);
}
