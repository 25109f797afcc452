using System.Globalization;
using System.Text;

namespace Proxy.Benchmarks.Compare;

/// <summary>Added latency: wrk with one keep-alive connection (one request at a time) straight to the nginx HTTP backend
/// and through each TCP contender; a contender's added p50/p99 is its percentile minus the direct route's in the same
/// compare run. Each contender is warmed until its request rate is steady, then runs <see cref="CompareOptions.Runs"/>
/// times.</summary>
internal sealed class LatencyBenchmark(CompareOptions options, IReadOnlyList<Contender> contenders) : IMeasure
{
    /// <summary>wrk prints latencies to the microsecond: an added latency below that counts as 1 µs in the bar's ratio.</summary>
    private const double ResolutionUs = 1;

    public string Key => "latency";

    public async Task<MeasureReport> RunAsync(CancellationToken cancellation)
    {
        var lifetime = WrkMeasurement.Lifetime(options);
        await using var backend = await NginxHttpBackend.StartAsync((lifetime * contenders.Count) + TimeSpan.FromMinutes(5), cancellation)
            .ConfigureAwait(false);
        var rows = new List<(Contender Contender, WrkMeasurement Result)>();
        foreach (var contender in contenders)
        {
            var result = await WrkMeasurement.TakeAsync(
                Key, contender.Name, contender.IsPeer, options, token => contender.StartAsync(backend.Port, 1000, lifetime, token),
                (port, time, token) => WrkClient.RunAsync(port, 1, time, [], token), cancellation)
                .ConfigureAwait(false);
            rows.Add((contender, result));
        }

        var direct = rows.FirstOrDefault(r => r.Contender is DirectContender).Result;
        var ours = rows.FirstOrDefault(r => r.Contender is ProxyContender).Result;
        var haproxy = rows.Where(r => r.Contender is HaproxyContender && r.Result.Error is null).Select(r => r.Result)
            .MinBy(r => r.P99Us);
        var bars = new List<BarCheck>();
        if (ours is not null)
        {
            var oursAdded = AddedP99(ours, direct);
            var haproxyAdded = haproxy is null ? double.NaN : AddedP99(haproxy, direct);
            bars.Add(new BarCheck(
                "p99 added latency ≤ HAProxy's", Microseconds(oursAdded), $"{Microseconds(haproxyAdded)} ({haproxy?.Name ?? "HAProxy failed"})",
                Math.Max(haproxyAdded, ResolutionUs) / Math.Max(oursAdded, ResolutionUs)));
        }

        return new MeasureReport(Render([.. rows.Select(r => r.Result)], direct), bars);
    }

    private static double AddedP99(WrkMeasurement row, WrkMeasurement? direct) =>
        row.Error is null && direct is { Error: null } ? row.P99Us - direct.P99Us : double.NaN;

    private static double AddedP50(WrkMeasurement row, WrkMeasurement? direct) =>
        row.Error is null && direct is { Error: null } ? row.P50Us - direct.P50Us : double.NaN;

    private static string Microseconds(double value) =>
        double.IsFinite(value) ? string.Create(CultureInfo.InvariantCulture, $"{value:F0} µs") : "failed";

    private static string Render(List<WrkMeasurement> rows, WrkMeasurement? direct)
    {
        var md = new StringBuilder();
        md.Append("## Added latency, one keep-alive connection\n\n");
        md.Append("`wrk -t1 -c1 --latency` (one request at a time on one connection) to the nginx HTTP backend (one worker, a 13-byte body "
            + "from memory), straight and through each contender; wrk and the backend on the load core. p50/p99 from wrk's Latency Distribution, "
            + "median over the runs; added = the contender's percentile − the direct route's in this run (can be slightly negative: noise). "
            + "Lower is better. In the bar, an added latency under 1 µs (wrk's resolution) counts as 1 µs.\n\n");
        var table = new MarkdownTable(
            "Contender", "p50 µs", "p99 µs", "added p50 µs", "added p99 µs", "Req/s", "CPU share", "Errors", "Warm-up", "<Runs (p99 µs)");
        foreach (var row in rows)
        {
            if (row.Error is not null)
            {
                table.Failed(row.Name, row.Error);
                continue;
            }

            var isDirect = ReferenceEquals(row, direct);
            table.Row(
                row.Name, MarkdownTable.Number(row.P50Us, "F0"), MarkdownTable.Number(row.P99Us, "F0"),
                isDirect ? "–" : MarkdownTable.Number(AddedP50(row, direct), "F0"),
                isDirect ? "–" : MarkdownTable.Number(AddedP99(row, direct), "F0"),
                MarkdownTable.Number(row.RequestsPerSecond, "N0"), MarkdownTable.Number(row.CpuShare, "F2"), row.ErrorSummary,
                row.WarmUp?.Short ?? "–", row.RunFigures(r => r.P99Us, "F0"));
        }

        return md.Append(table).Append('\n').ToString();
    }
}
