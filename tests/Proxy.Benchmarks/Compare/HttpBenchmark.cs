using System.Globalization;
using System.Text;

namespace Proxy.Benchmarks.Compare;

/// <summary>HTTP reverse proxying: wrk with 64 keep-alive connections through this proxy's Http (YARP) route, nginx
/// <c>proxy_pass</c> and HAProxy <c>mode http</c> to the nginx HTTP backend, and straight to it; and the ceiling of a YARP
/// route (<see cref="NoUpstreamHost"/>). wrk and the backend
/// share the load core, which saturates, so requests per proxy core is the figure to compare. Each contender is warmed
/// until its rate is steady, then runs <see cref="CompareOptions.Runs"/> times while its CPU share and memory are sampled.</summary>
internal sealed class HttpBenchmark(CompareOptions options, IReadOnlyList<HttpContender> contenders) : IMeasure
{
    private const int Connections = 64;

    public string Key => "http";

    public async Task<MeasureReport> RunAsync(CancellationToken cancellation)
    {
        var lifetime = WrkMeasurement.Lifetime(options);
        await using var backend = await NginxHttpBackend.StartAsync((lifetime * contenders.Count) + TimeSpan.FromMinutes(5), cancellation)
            .ConfigureAwait(false);
        var rows = new List<(HttpContender Contender, WrkMeasurement Result)>();
        foreach (var contender in contenders)
        {
            var result = await WrkMeasurement.TakeAsync(
                Key, contender.Name, contender.IsPeer, options, token => contender.StartAsync(backend.Port, lifetime, token),
                (port, time, token) => WrkClient.RunAsync(port, Connections, time, [], token), cancellation)
                .ConfigureAwait(false);
            rows.Add((contender, result));
        }

        var ours = rows.FirstOrDefault(r => r.Contender is ProxyHttpContender).Result;
        var nginx = rows.FirstOrDefault(r => r.Contender is NginxProxyPassContender).Result;
        var bars = new List<BarCheck>();
        if (ours is not null && nginx is not null)
        {
            bars.Add(new BarCheck(
                "HTTP req/s per proxy core ≥ nginx proxy_pass", Rate(ours, ours.PerCore) + " per core",
                $"{Rate(nginx, nginx.PerCore)} per core (nginx proxy_pass)", ours.PerCore / nginx.PerCore));
            bars.Add(new BarCheck(
                "HTTP req/s ≥ nginx proxy_pass (raw; the load core saturates)", Rate(ours, ours.RequestsPerSecond),
                $"{Rate(nginx, nginx.RequestsPerSecond)} (nginx proxy_pass)", ours.RequestsPerSecond / nginx.RequestsPerSecond));
        }

        return new MeasureReport(Render([.. rows.Select(r => r.Result)]), bars);
    }

    private static string Rate(WrkMeasurement result, double value) =>
        result.Error is null ? string.Create(CultureInfo.InvariantCulture, $"{value:N0} req/s") : "failed";

    private static string Render(List<WrkMeasurement> rows)
    {
        var md = new StringBuilder();
        md.Append("## HTTP reverse proxy, keep-alive\n\n");
        md.Append(CultureInfo.InvariantCulture, $"`wrk -t1 -c{Connections} --latency` (keep-alive) ");
        md.Append("to the nginx HTTP backend (one worker, a 13-byte body from memory) through this proxy's `Http` route (YARP), "
            + "nginx `proxy_pass` (one worker, upstream `keepalive 64`, HTTP/1.1) and HAProxy `mode http` (`nbthread 1`, `http-reuse always`), "
            + "and straight; requests/s and p99 are medians. Higher req/s is better. wrk and the backend share the load core, which saturates "
            + "(busy near 1.00), so req/s per proxy core (= req/s / CPU share) is the figure to compare. "
            + "Errors: wrk's socket errors and non-2xx answers over the measured runs. The ceiling row (not a peer) is this proxy's host "
            + "with the same route whose YARP client answers from memory, using no upstream socket: no change to the upstream side of a "
            + "YARP route can take the route past it.\n\n");
        var peers = rows.Where(r => r.IsPeer && r.Error is null).ToList();
        var best = peers.Count > 0 ? peers.Max(r => r.RequestsPerSecond) : double.NaN;
        var bestPerCore = peers.Count > 0 ? peers.Max(r => r.PerCore) : double.NaN;
        var table = new MarkdownTable(
            "Contender", "Req/s", "vs best peer", "p99 ms", "CPU share", "Req/s per proxy core", "per core vs best peer", "Load core busy",
            "Peak RSS", "Errors", "Warm-up", "<Runs");
        foreach (var row in rows)
        {
            if (row.Error is not null)
            {
                table.Failed(row.Name, row.Error);
                continue;
            }

            table.Row(
                row.Name, MarkdownTable.Number(row.RequestsPerSecond, "N0"), MarkdownTable.Ratio(row.RequestsPerSecond, best),
                MarkdownTable.Number(row.P99Us / 1e3, "F2"), MarkdownTable.Number(row.CpuShare, "F2"), MarkdownTable.Number(row.PerCore, "N0"),
                MarkdownTable.Ratio(row.PerCore, bestPerCore), MarkdownTable.Number(row.LoadCoreBusy, "F2"), MarkdownTable.Mib(row.PeakRssBytes),
                row.ErrorSummary, row.WarmUp?.Short ?? "–", row.RunFigures(r => r.RequestsPerSecond, "F0"));
        }

        return md.Append(table).Append('\n').ToString();
    }
}
