using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Proxy.Benchmarks.Compare;

/// <summary>CONNECT and SOCKS5 tunnels: iperf3 through each contender both ways (through proxychains4, or straight at a
/// Forward route), and tunnels opened per second (<see cref="TunnelLoad"/>, a child process on the load core), each
/// carrying one HTTP request to the nginx backend. CONNECT rows are held against tinyproxy, SOCKS5 rows against
/// microsocks, and the relay against half the plain Forward route.</summary>
internal sealed class TunnelBenchmark(CompareOptions options) : IMeasure
{
    /// <summary>Setup-rate workers, each opening one tunnel after the other.</summary>
    public const int Concurrency = 16;

    public string Key => "tunnels";

    public async Task<MeasureReport> RunAsync(CancellationToken cancellation)
    {
        var results = await MeasureAllAsync(cancellation).ConfigureAwait(false);
        var bars = new List<BarCheck>
        {
            Throughput("CONNECT throughput ≥ tinyproxy", Find(TunnelContender.Connect), Find(TunnelContender.Tinyproxy), 1),
            Setup("CONNECT setup rate ≥ tinyproxy", Find(TunnelContender.Connect), Find(TunnelContender.Tinyproxy)),
            Throughput("SOCKS5 throughput ≥ microsocks", Find(TunnelContender.Socks5), Find(TunnelContender.Microsocks), 1),
            Setup("SOCKS5 setup rate ≥ microsocks", Find(TunnelContender.Socks5), Find(TunnelContender.Microsocks)),
            Throughput("Relay tunnel throughput ≥ half the direct Forward", Find(TunnelContender.ConnectViaRelay), Find(TunnelContender.Forward), 0.5),
        };
        return new MeasureReport(Render(results), bars);

        TunnelResult Find(TunnelContender contender) => results.First(r => r.Contender == contender);
    }

    private async Task<List<TunnelResult>> MeasureAllAsync(CancellationToken cancellation)
    {
        var perContender = options.MaxWarmUp + (options.Runs * 3 * (options.Duration + TimeSpan.FromSeconds(30))) + TimeSpan.FromMinutes(2);
        var lifetime = (perContender * TunnelContender.All.Count) + TimeSpan.FromMinutes(5);
        var iperfPort = LoopbackPorts.Free();
        await using var iperf = Pinned.Start(Pinned.LoadCore, "iperf3", ["-s", "-B", "127.0.0.1", "-p", Text(iperfPort)], lifetime);
        if (!await LoopbackPorts.WaitListeningAsync(iperfPort, iperf, TimeSpan.FromSeconds(10), cancellation).ConfigureAwait(false))
        {
            throw new InvalidOperationException($"iperf3 -s did not listen: {iperf.Error}");
        }

        await using var http = await NginxHttpBackend.StartAsync(lifetime, cancellation).ConfigureAwait(false);
        var results = new List<TunnelResult>();
        foreach (var contender in TunnelContender.All)
        {
            Console.WriteLine($"tunnels: {contender.Name}");
            var work = Contender.NewWorkDirectory("proxychains");
            try
            {
                await using var tunnel = await contender.StartAsync(iperfPort, http.Port, perContender, cancellation).ConfigureAwait(false);
                var proxychains = await ProxychainsAsync(contender.Protocol, tunnel, work, cancellation).ConfigureAwait(false);
                var load = new TunnelClients(contender.Protocol, tunnel, iperfPort, http.Port, proxychains);
                results.Add(await MeasureAsync(contender, tunnel, load, cancellation).ConfigureAwait(false));
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or JsonException or KeyNotFoundException)
            {
                Console.WriteLine($"  failed: {ex.Message}");
                results.Add(TunnelResult.Failed(contender, ex.Message.Split('\n')[0]));
            }
            finally
            {
                try
                {
                    work.Delete(recursive: true);
                }
                catch (IOException)
                {
                    // Left for the OS to clean, as a contender's own folder.
                }
            }
        }

        return results;
    }

    private async Task<TunnelResult> MeasureAsync(TunnelContender contender, RunningTunnel tunnel, TunnelClients load, CancellationToken cancellation)
    {
        // Each slice runs both copy directions (iperf3 --bidir) and then the tunnel setup path; steady is the setup rate.
        var warm = await SteadyWarmUp.RunAsync(
            contender.Name, options,
            async (time, token) =>
            {
                var iperfTime = TimeSpan.FromSeconds(Math.Max(1, (int)time.TotalSeconds / 2));
                await load.IperfAsync(iperfTime, ["--bidir", "-P", "2"], token).ConfigureAwait(false);
                return (await load.SetupAsync(time - iperfTime, token).ConfigureAwait(false)).PerSecond;
            },
            cancellation).ConfigureAwait(false);
        var forward = new List<SampledRun<double>>();
        var reverse = new List<SampledRun<double>>();
        var setup = new List<SampledRun<TunnelCounts>>();
        for (var run = 0; run < options.Runs; run++)
        {
            forward.Add(await SampledRun.MeasureAsync(tunnel.Running, () => load.IperfAsync(options.Duration, ["-P", "1"], cancellation)).ConfigureAwait(false));
            reverse.Add(await SampledRun.MeasureAsync(tunnel.Running, () => load.IperfAsync(options.Duration, ["-P", "1", "-R"], cancellation)).ConfigureAwait(false));
            setup.Add(await SampledRun.MeasureAsync(tunnel.Running, () => load.SetupAsync(options.Duration, cancellation)).ConfigureAwait(false));
        }

        var result = new TunnelResult(
            contender, TunnelFigure.Of(forward, v => v / 1e9), TunnelFigure.Of(reverse, v => v / 1e9), TunnelFigure.Of(setup, c => c.PerSecond),
            setup.Sum(s => s.Value.Failures), setup.Select(s => s.Value.FirstError).FirstOrDefault(e => e is not null),
            Math.Max(SampledRun.PeakRss([.. forward, .. reverse]), SampledRun.PeakRss(setup)), warm, null);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {result.ClientToTarget.Median:F2} / {result.TargetToClient.Median:F2} Gbit/s (cpu {result.ClientToTarget.MedianCpu:F2} / {result.TargetToClient.MedianCpu:F2}), {result.Setup.Median:F0} tunnels/s (cpu {result.Setup.MedianCpu:F2}, failures {result.SetupFailures})"));
        return result;
    }

    /// <summary>The proxychains4 configuration that sends iperf3's connections through the contender: one proxy,
    /// <c>strict_chain</c>, no <c>proxy_dns</c> (iperf3 connects to an address). Null for a plain Forward route.</summary>
    private static async Task<string[]?> ProxychainsAsync(TunnelProtocol protocol, RunningTunnel tunnel, DirectoryInfo work, CancellationToken cancellation)
    {
        if (protocol == TunnelProtocol.Plain)
        {
            return null;
        }

        var path = Path.Combine(work.FullName, "proxychains.conf");
        var kind = protocol == TunnelProtocol.Http ? "http" : "socks5";
        var text = string.Create(CultureInfo.InvariantCulture, $"""
            strict_chain
            tcp_read_time_out 15000
            tcp_connect_time_out 8000
            [ProxyList]
            {kind} 127.0.0.1 {tunnel.IperfPort}

            """);
        await File.WriteAllTextAsync(path, text, cancellation).ConfigureAwait(false);
        return ["proxychains4", "-q", "-f", path];
    }

    private static BarCheck Throughput(string bar, TunnelResult ours, TunnelResult peer, double share)
    {
        var ok = ours.Error is null && peer.Error is null;
        var ratio = ok
            ? Math.Min(ours.ClientToTarget.Median / (share * peer.ClientToTarget.Median), ours.TargetToClient.Median / (share * peer.TargetToClient.Median))
            : double.NaN;
        return new BarCheck(bar, Gbps(ours), $"{Gbps(peer)} ({peer.Contender.Name}{(share == 1 ? "" : string.Create(CultureInfo.InvariantCulture, $", × {share}"))})", ratio);
    }

    private static BarCheck Setup(string bar, TunnelResult ours, TunnelResult peer)
    {
        var ratio = ours.Error is null && peer.Error is null ? ours.Setup.Median / peer.Setup.Median : double.NaN;
        return new BarCheck(bar, Rate(ours), $"{Rate(peer)} ({peer.Contender.Name})", ratio);
    }

    private static string Gbps(TunnelResult row) => row.Error is not null
        ? "failed"
        : string.Create(CultureInfo.InvariantCulture, $"{row.ClientToTarget.Median:F2} / {row.TargetToClient.Median:F2} Gbit/s (client → target / target → client)");

    private static string Rate(TunnelResult row) => row.Error is not null
        ? "failed"
        : string.Create(CultureInfo.InvariantCulture, $"{row.Setup.Median:F0} tunnels/s{(row.SetupFailures > 0 ? $", {row.SetupFailures} failed" : "")}");

    private static string Render(List<TunnelResult> rows)
    {
        var md = new StringBuilder("## CONNECT and SOCKS5 tunnels: throughput\n\n");
        md.Append("`proxychains4 -q -f CONF iperf3 -c 127.0.0.1 -p IPERF -t 10 -J -P 1` (and `-R`), the proxychains4 configuration naming the ")
            .Append("contender (`http 127.0.0.1 PORT` or `socks5 127.0.0.1 PORT`, `strict_chain`, no `proxy_dns`); the Forward reference is iperf3 ")
            .Append("straight at a Forward route to the iperf3 server. Gbit/s received, median; higher is better. CONNECT rows are compared with ")
            .Append("tinyproxy, SOCKS5 rows with microsocks. CPU share: 1.00 = the whole proxy core (the relay's two processes summed). ")
            .Append("Warm-up: slices of `iperf3 --bidir -P 2` then the setup load, until the setup rate is steady.\n\n");
        var table = new MarkdownTable(
            "Contender", "Client → target Gbit/s", "vs peer", "CPU share", "per proxy core", "Target → client Gbit/s", "vs peer", "CPU share",
            "per proxy core", "Load core busy", "Peak RSS", "Warm-up", "<Runs (→ / ←)");
        foreach (var row in rows)
        {
            if (row.Error is not null)
            {
                table.Failed(row.Contender.Name, row.Error);
                continue;
            }

            var peer = Peer(rows, row);
            table.Row(
                row.Contender.Name,
                MarkdownTable.Number(row.ClientToTarget.Median, "F2"), MarkdownTable.Ratio(row.ClientToTarget.Median, peer?.ClientToTarget.Median ?? double.NaN),
                MarkdownTable.Number(row.ClientToTarget.MedianCpu, "F2"), MarkdownTable.Number(row.ClientToTarget.PerCore, "F2"),
                MarkdownTable.Number(row.TargetToClient.Median, "F2"), MarkdownTable.Ratio(row.TargetToClient.Median, peer?.TargetToClient.Median ?? double.NaN),
                MarkdownTable.Number(row.TargetToClient.MedianCpu, "F2"), MarkdownTable.Number(row.TargetToClient.PerCore, "F2"),
                MarkdownTable.Number(Statistics.Median([row.ClientToTarget.MedianLoadCoreBusy, row.TargetToClient.MedianLoadCoreBusy]), "F2"),
                MarkdownTable.Mib(row.PeakRssBytes), row.WarmUp?.Short ?? "–",
                MarkdownTable.Runs(row.ClientToTarget.Values, "F2") + " / " + MarkdownTable.Runs(row.TargetToClient.Values, "F2"));
        }

        md.Append(table).Append("\n## CONNECT and SOCKS5 tunnels: setup rate\n\n");
        md.Append(CultureInfo.InvariantCulture, $"{Concurrency} workers on the load core (`tunnels MODE PORT TARGET SECONDS {Concurrency}`, a child process), each in a loop: ")
            .Append("connect, `CONNECT 127.0.0.1:T HTTP/1.1` (expect 200) or the SOCKS5 no-auth greeting and CONNECT (expect reply 00), ")
            .Append("`GET / HTTP/1.1` with `Connection: close` to the nginx backend through the tunnel, read the answer to its end, close. ")
            .Append("The Forward reference: the same GET through a Forward route to the backend. Tunnels per second, median; higher is better.\n\n");
        var setup = new MarkdownTable(
            "Contender", "Tunnels/s", "vs peer", "Failures", "CPU share", "Tunnels/s per proxy core", "per core vs peer", "Load core busy", "<Runs");
        foreach (var row in rows)
        {
            if (row.Error is not null)
            {
                setup.Failed(row.Contender.Name, row.Error);
                continue;
            }

            var peer = Peer(rows, row);
            var failures = row.SetupFailures.ToString(CultureInfo.InvariantCulture) + (row.FirstSetupError is { } error ? $" ({error})" : "");
            setup.Row(
                row.Contender.Name, MarkdownTable.Number(row.Setup.Median, "F0"), MarkdownTable.Ratio(row.Setup.Median, peer?.Setup.Median ?? double.NaN),
                failures, MarkdownTable.Number(row.Setup.MedianCpu, "F2"), MarkdownTable.Number(row.Setup.PerCore, "F0"),
                MarkdownTable.Ratio(row.Setup.PerCore, peer?.Setup.PerCore ?? double.NaN), MarkdownTable.Number(row.Setup.MedianLoadCoreBusy, "F2"),
                MarkdownTable.Runs(row.Setup.Values, "F0"));
        }

        return md.Append(setup).Append('\n').ToString();
    }

    /// <summary>The peer of the row's protocol (tinyproxy for CONNECT, microsocks for SOCKS5), measured; none for a peer
    /// itself or the Forward reference.</summary>
    private static TunnelResult? Peer(List<TunnelResult> rows, TunnelResult row) =>
        row.Contender.IsPeer || row.Contender.Protocol == TunnelProtocol.Plain
            ? null
            : rows.FirstOrDefault(r => r.Contender.IsPeer && r.Contender.Protocol == row.Contender.Protocol && r.Error is null);

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
