using System.Globalization;
using System.Text;

namespace Proxy.Benchmarks.Compare;

/// <summary>Writes results/latest.md: the machine, then one table per measure with every contender's median and its
/// ratio to the best peer (HAProxy, nginx, socat) on the same machine in the same run.</summary>
internal static class MarkdownReport
{
    public static string Render(
        MachineInfo machine, CompareOptions options, DateTimeOffset started, TimeSpan elapsed,
        IReadOnlyList<ThroughputResult> throughput, IReadOnlyList<UdpResult> udp, IReadOnlyList<IdleResult> idle)
    {
        var md = new StringBuilder();
        Line(md, "# Side-by-side benchmark");
        Line(md, "");
        Line(md, $"Run {started:yyyy-MM-dd HH:mm} UTC, {elapsed.TotalMinutes:F1} min, `compare{(options.Quick ? " --quick" : "")}{(options.Only is null ? "" : " --only " + options.Only)}`: "
            + $"warm-up {options.WarmUp.TotalSeconds:F0} s per contender, {options.Runs} run(s) of {options.Duration.TotalSeconds:F0} s per case, medians. "
            + (options.Quick ? "**Quick mode: one short run, a smoke test of the harness, not a measurement to quote.**" : ""));
        Line(md, "");
        Line(md, "## Machine");
        Line(md, "");
        Line(md, $"- CPU: {machine.CpuModel}, {machine.Cores} cores (nproc); memory {machine.MemoryTotal}");
        Line(md, $"- Kernel: {machine.Kernel}");
        Line(md, $"- .NET: {machine.DotNet}");
        foreach (var tool in machine.Tools)
        {
            Line(md, $"- {tool}");
        }

        Line(md, $"- Pinning: every contender on core {Pinned.ProxyCore} (`taskset -c {Pinned.ProxyCore}`), iperf3 client and server "
            + $"and the holding server on core {Pinned.LoadCore}. CPU share is the contender's CPU time / wall time over each run "
            + "(1.00 = the whole proxy core).");
        Line(md, "");

        foreach (var group in throughput.GroupBy(r => r.Case))
        {
            WriteThroughput(md, group.Key, [.. group]);
        }

        foreach (var group in udp.GroupBy(r => r.Case))
        {
            WriteUdp(md, group.Key, [.. group]);
        }

        if (idle.Count > 0)
        {
            WriteIdle(md, idle, options);
        }
        return md.ToString();
    }

    private static void WriteThroughput(StringBuilder md, ThroughputCase shape, List<ThroughputResult> rows)
    {
        Line(md, $"## TCP forward throughput: {shape.Title}");
        Line(md, "");
        Line(md, "iperf3 through a Forward route (this proxy) or its equivalent; Gbit/s received, median. Higher is better. "
            + "Gbit/s per proxy core = Gbit/s / CPU share. A load core near 1.00 means iperf3 itself was the limit, "
            + "so compare the per-core figure there.");
        Line(md, "");
        var peers = rows.Where(r => r.Contender.IsPeer && r.Error is null).ToList();
        var bestGbps = peers.Count > 0 ? peers.Max(r => r.MedianGbps) : double.NaN;
        var bestPerCore = peers.Count > 0 ? peers.Max(r => r.GbpsPerCore) : double.NaN;
        Line(md, "| Contender | Gbit/s | vs best peer | CPU share | Gbit/s per proxy core | per core vs best peer | Load core busy | Peak RSS | Runs |");
        Line(md, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (var row in rows)
        {
            if (row.Error is not null)
            {
                Line(md, $"| {row.Contender.Name} | failed: {Escape(row.Error)} | | | | | | | |");
                continue;
            }

            var runs = string.Join(", ", row.Gbps.Select(g => g.ToString("F2", CultureInfo.InvariantCulture)));
            Line(md, $"| {row.Contender.Name} | {row.MedianGbps:F2} | {Ratio(row.MedianGbps, bestGbps)} | {Number(row.MedianCpu, "F2")} "
                + $"| {Number(row.GbpsPerCore, "F2")} | {Ratio(row.GbpsPerCore, bestPerCore)} | {Number(row.MedianLoadCoreBusy, "F2")} | {Mib(row.PeakRssBytes)} | {runs} |");
        }

        Line(md, "");
    }

    private static void WriteUdp(StringBuilder md, UdpCase shape, List<UdpResult> rows)
    {
        Line(md, $"## UDP forward throughput: {shape.Title}");
        Line(md, "");
        Line(md, $"`iperf3 -u -b 0 -l {shape.DatagramBytes}`, one stream, client → target, through a UDP route plus a TCP Forward route on the same "
            + "port (iperf3's control connection) or the peer's equivalent. Received = what the iperf3 server got (`end.sum_received`), "
            + "median; higher is better. `-b 0` sends as fast as the client can, so datagrams are lost wherever a socket buffer "
            + "overflows, on the direct route too: lost % is the server's count of sequence gaps. Gbit/s per proxy core = received / CPU share.");
        Line(md, "");
        var peers = rows.Where(r => r.Contender.IsPeer && r.Error is null).ToList();
        var bestGbps = peers.Count > 0 ? peers.Max(r => r.MedianReceivedGbps) : double.NaN;
        var bestPerCore = peers.Count > 0 ? peers.Max(r => r.GbpsPerCore) : double.NaN;
        Line(md, "| Contender | Received Gbit/s | vs best peer | Sent Gbit/s | Lost % | CPU share | Gbit/s per proxy core | per core vs best peer | Load core busy | Peak RSS | Runs (received) |");
        Line(md, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (var row in rows)
        {
            if (row.Error is not null)
            {
                Line(md, $"| {row.Contender.Name} | {(row.Unsupported ? "" : "failed: ")}{Escape(row.Error)} | | | | | | | | | |");
                continue;
            }

            var runs = string.Join(", ", row.ReceivedGbps.Select(g => g.ToString("F2", CultureInfo.InvariantCulture)));
            Line(md, $"| {row.Contender.Name} | {row.MedianReceivedGbps:F2} | {Ratio(row.MedianReceivedGbps, bestGbps)} | {row.MedianSentGbps:F2} "
                + $"| {row.MedianLostPercent:F1} | {Number(row.MedianCpu, "F2")} | {Number(row.GbpsPerCore, "F2")} | {Ratio(row.GbpsPerCore, bestPerCore)} "
                + $"| {Number(row.MedianLoadCoreBusy, "F2")} | {Mib(row.PeakRssBytes)} | {runs} |");
        }

        Line(md, "");
    }

    private static void WriteIdle(StringBuilder md, IReadOnlyList<IdleResult> rows, CompareOptions options)
    {
        Line(md, "## Memory per idle forwarded connection");
        Line(md, "");
        var limit = options.IdleConnections < CompareOptions.RequestedIdleConnections
            ? $" (not {CompareOptions.RequestedIdleConnections:N0}: the open-file hard limit here is {FileLimits.Hard:N0}, no child can raise it, and each forwarded connection holds two descriptors in the contender)"
            : "";
        Line(md, $"{options.IdleConnections:N0} connections opened and held idle{limit}; resident memory (VmRSS, all the contender's processes) "
            + "after a warm-up of 200 connections, then with all of them held. Lower is better; socat (a process per connection) is not measured.");
        Line(md, "");
        var peers = rows.Where(r => r.Contender.IsPeer && r.Error is null).ToList();
        var best = peers.Count > 0 ? peers.Min(r => r.BytesPerConnection) : double.NaN;
        Line(md, "| Contender | Connections | RSS before | RSS held | KiB per connection | vs best peer | Descriptors before |");
        Line(md, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var row in rows)
        {
            if (row.Error is not null && row.Connections == 0)
            {
                Line(md, $"| {row.Contender.Name} | failed: {Escape(row.Error)} | | | | | |");
                continue;
            }

            var note = row.Error is null ? "" : $" ({Escape(row.Error)})";
            Line(md, $"| {row.Contender.Name} | {row.Connections:N0}{note} | {Mib(row.RssBeforeBytes)} | {Mib(row.RssHeldBytes)} "
                + $"| {row.BytesPerConnection / 1024:F2} | {Ratio(row.BytesPerConnection, best)} | {row.DescriptorsBefore} |");
        }

        Line(md, "");
    }

    private static string Ratio(double value, double best) =>
        double.IsFinite(value) && double.IsFinite(best) && best > 0 ? string.Create(CultureInfo.InvariantCulture, $"{value / best:F2}×") : "–";

    private static string Number(double value, string format) =>
        double.IsFinite(value) ? value.ToString(format, CultureInfo.InvariantCulture) : "–";

    private static string Mib(long bytes) =>
        bytes > 0 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:F1} MiB") : "–";

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);

    private static void Line(StringBuilder md, FormattableString text) => md.Append(text.ToString(CultureInfo.InvariantCulture)).Append('\n');

    private static void Line(StringBuilder md, string text) => md.Append(text).Append('\n');
}
