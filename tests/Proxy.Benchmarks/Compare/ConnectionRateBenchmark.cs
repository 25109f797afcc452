using System.Globalization;
using System.Text;

namespace Proxy.Benchmarks.Compare;

/// <summary>Short connections per second: wrk with <c>Connection: close</c> (one request per connection, 32 at once)
/// through each TCP contender to the nginx HTTP backend, both on the load core. Each contender is warmed until its rate
/// is steady, then runs <see cref="CompareOptions.Runs"/> times while its CPU share is sampled.</summary>
internal sealed class ConnectionRateBenchmark(CompareOptions options, IReadOnlyList<Contender> contenders) : IMeasure
{
    private const int Connections = 32;
    private const string PortReuse = "/proc/sys/net/ipv4/tcp_tw_reuse";
    private const string PortRange = "/proc/sys/net/ipv4/ip_local_port_range";

    public string Key => "connections";

    public async Task<MeasureReport> RunAsync(CancellationToken cancellation)
    {
        var ports = await EnsurePortReuseAsync(cancellation).ConfigureAwait(false);
        var lifetime = WrkMeasurement.Lifetime(options);
        await using var backend = await NginxHttpBackend.StartAsync((lifetime * contenders.Count) + TimeSpan.FromMinutes(5), cancellation)
            .ConfigureAwait(false);
        var rows = new List<(Contender Contender, WrkMeasurement Result)>();
        foreach (var contender in contenders)
        {
            var result = await WrkMeasurement.TakeAsync(
                Key, contender.Name, contender.IsPeer, options, token => contender.StartAsync(backend.Port, 1000, lifetime, token),
                (port, time, token) => WrkClient.RunAsync(port, Connections, time, ["-H", "Connection: close"], token), cancellation)
                .ConfigureAwait(false);
            rows.Add((contender, result));
        }

        var ours = rows.FirstOrDefault(r => r.Contender is ProxyContender).Result;
        var nginx = rows.FirstOrDefault(r => r.Contender is NginxContender).Result;
        var bars = new List<BarCheck>();
        if (ours is not null && nginx is not null)
        {
            bars.Add(new BarCheck(
                "Connections/s ≥ nginx stream", Rate(ours, ours.RequestsPerSecond), $"{Rate(nginx, nginx.RequestsPerSecond)} (nginx stream)",
                ours.RequestsPerSecond / nginx.RequestsPerSecond));
            bars.Add(new BarCheck(
                "Connections/s per proxy core ≥ nginx stream", Rate(ours, ours.PerCore) + " per core",
                $"{Rate(nginx, nginx.PerCore)} per core (nginx stream)", ours.PerCore / nginx.PerCore));
        }

        return new MeasureReport(Render([.. rows.Select(r => r.Result)], ports), bars);
    }

    private static string Rate(WrkMeasurement result, double value) =>
        result.Error is null ? string.Create(CultureInfo.InvariantCulture, $"{value:N0} conn/s") : "failed";

    /// <summary>Thousands of connections per second for 10 s would use up the ephemeral port range (28,232 ports by default) if
    /// each port then sat in TIME_WAIT for 60 s. With <c>Connection: close</c> the backend closes first, so TIME_WAIT
    /// stays on the listening sides (the backend, a proxy's client side), not on the ports of wrk or of a proxy's
    /// connection to the backend, and a SYN meeting such a TIME_WAIT is accepted on its newer timestamp. In case a
    /// contender closes first, <c>tcp_tw_reuse</c> lets connect() take a TIME_WAIT port: 2 (Linux's default) on
    /// loopback, 1 everywhere; when it is 0, this sets 2 for the rest of the machine's uptime. The report says which.</summary>
    private static async Task<string> EnsurePortReuseAsync(CancellationToken cancellation)
    {
        var range = (await File.ReadAllTextAsync(PortRange, cancellation).ConfigureAwait(false))
            .Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        var reuse = (await File.ReadAllTextAsync(PortReuse, cancellation).ConfigureAwait(false)).Trim();
        var text = $"The backend closes first, so TIME_WAIT stays on the listening sides; ephemeral ports {string.Join('–', range)}, "
            + $"`net.ipv4.tcp_tw_reuse` was {reuse}";
        if (reuse != "0")
        {
            return text + (reuse == "1" ? " (TIME_WAIT ports are reused)" : " (TIME_WAIT ports are reused on loopback)") + ", left as it was.";
        }

        var (exitCode, output, error) = await ExternalProcess.RunAsync(
            "sysctl", ["-w", "net.ipv4.tcp_tw_reuse=2"], TimeSpan.FromSeconds(10), cancellation).ConfigureAwait(false);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"sysctl -w net.ipv4.tcp_tw_reuse=2 exited {exitCode}: {error}{output}");
        }

        Console.WriteLine("  set net.ipv4.tcp_tw_reuse=2 (it was 0)");
        return text + ": this measure set it to 2 (reuse TIME_WAIT ports on loopback) with `sysctl -w` and left it so.";
    }

    private static string Render(List<WrkMeasurement> rows, string ports)
    {
        var md = new StringBuilder();
        md.Append("## Short connections per second\n\n");
        md.Append(CultureInfo.InvariantCulture, $"`wrk -t1 -c{Connections} -H \"Connection: close\" --latency` (one request per connection) ");
        md.Append("through each contender to the nginx HTTP backend (one worker, a 13-byte body from memory), both on the load core; "
            + "connections/s = wrk's requests/s, median. Higher is better. Per proxy core = connections/s / CPU share. wrk and the backend "
            + "share the load core: near 1.00 busy, the load was the limit and the per-core figure is the fairer comparison. "
            + "Errors: wrk's socket errors and non-2xx answers over the measured runs. ")
            .Append(ports).Append("\n\n");
        var peers = rows.Where(r => r.IsPeer && r.Error is null).ToList();
        var best = peers.Count > 0 ? peers.Max(r => r.RequestsPerSecond) : double.NaN;
        var bestPerCore = peers.Count > 0 ? peers.Max(r => r.PerCore) : double.NaN;
        var table = new MarkdownTable(
            "Contender", "Connections/s", "vs best peer", "CPU share", "Conn/s per proxy core", "per core vs best peer", "Load core busy", "Errors",
            "Warm-up", "<Runs");
        foreach (var row in rows)
        {
            if (row.Error is not null)
            {
                table.Failed(row.Name, row.Error);
                continue;
            }

            table.Row(
                row.Name, MarkdownTable.Number(row.RequestsPerSecond, "N0"), MarkdownTable.Ratio(row.RequestsPerSecond, best),
                MarkdownTable.Number(row.CpuShare, "F2"), MarkdownTable.Number(row.PerCore, "N0"), MarkdownTable.Ratio(row.PerCore, bestPerCore),
                MarkdownTable.Number(row.LoadCoreBusy, "F2"), row.ErrorSummary, row.WarmUp?.Short ?? "–",
                row.RunFigures(r => r.RequestsPerSecond, "F0"));
        }

        return md.Append(table).Append('\n').ToString();
    }
}
