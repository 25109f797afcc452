using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Proxy.Benchmarks.Compare;

/// <summary>SNI routing: the proxy core's CPU at a fixed rate of full TLS handshakes, routed by the ClientHello's server
/// name (not terminated) to two TLS backends on the load core; the load (<see cref="HandshakeLoad"/>, a child process on
/// the load core) checks that each handshake reached the backend its name routes to.</summary>
internal sealed class SniRoutingBenchmark(CompareOptions options) : IMeasure
{
    /// <summary>Handshakes per second: what the load core (the client's handshakes and both backends') sustains for every
    /// contender with room to spare, so the rate is the same for all and only the CPU differs.</summary>
    public const int Rate = 300;

    public string Key => "sni";

    public async Task<MeasureReport> RunAsync(CancellationToken cancellation)
    {
        var perContender = options.MaxWarmUp + (options.Runs * (options.Duration + TimeSpan.FromSeconds(60))) + TimeSpan.FromMinutes(2);
        var results = new List<SniResult>();
        await using (var backends = await SniBackends.StartAsync((perContender * SniContender.All.Count) + TimeSpan.FromMinutes(5), cancellation).ConfigureAwait(false))
        {
            foreach (var contender in SniContender.All)
            {
                Console.WriteLine($"sni: {contender.Name}");
                try
                {
                    results.Add(await MeasureAsync(contender, backends, perContender, cancellation).ConfigureAwait(false));
                }
                catch (Exception ex) when (ex is InvalidOperationException or IOException or JsonException)
                {
                    Console.WriteLine($"  failed: {ex.Message}");
                    results.Add(new SniResult(contender, [], [], [], [], [], 0, null, ex.Message.Split('\n')[0]));
                }
            }
        }

        var ours = results.First(r => r.Contender == SniContender.Proxy);
        var nginx = results.First(r => r.Contender == SniContender.Nginx);
        var ratio = ours.Error is null && nginx.Error is null && ours.Misroutes == 0 ? nginx.MedianCpu / ours.MedianCpu : double.NaN;
        BarCheck[] bars = [new("SNI routing CPU ≤ nginx's", Cpu(ours), Cpu(nginx) + " (nginx stream)", ratio)];
        return new MeasureReport(Render(results), bars);
    }

    private async Task<SniResult> MeasureAsync(SniContender contender, SniBackends backends, TimeSpan lifetime, CancellationToken cancellation)
    {
        await using var running = await contender.StartAsync(backends, lifetime, cancellation).ConfigureAwait(false);

        // Steady is the contender's CPU share at the fixed rate: what the runs measure.
        var warm = await SteadyWarmUp.RunAsync(
            contender.Name, options,
            async (time, token) => (await RunAsync(running, backends, time, token).ConfigureAwait(false)).Sample.CpuShare,
            cancellation).ConfigureAwait(false);
        var counts = new List<HandshakeCounts>();
        var cpu = new List<double>();
        var perThousand = new List<double>();
        var switches = new List<double>();
        var load = new List<double>();
        long peak = 0;
        for (var run = 0; run < options.Runs; run++)
        {
            var (sample, wall) = await RunAsync(running, backends, options.Duration, cancellation).ConfigureAwait(false);
            counts.Add(sample.Value);
            cpu.Add(sample.CpuShare);
            perThousand.Add(sample.Value.Handshakes > 0 ? sample.CpuShare * wall.TotalMilliseconds / sample.Value.Handshakes * 1000 : double.NaN);
            switches.Add(sample.Value.Handshakes > 0 ? (double)sample.ContextSwitches / sample.Value.Handshakes : double.NaN);
            load.Add(sample.LoadCoreBusy);
            peak = Math.Max(peak, sample.PeakRssBytes);
        }

        var result = new SniResult(contender, counts, cpu, perThousand, switches, load, peak, warm, null);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {result.MedianAchieved:F0}/s of {Rate}/s, cpu {result.MedianCpu:F3} ({result.MedianCpuMsPerThousand:F0} ms per 1,000, {result.MedianSwitchesPerHandshake:F1} context switches per handshake), failures {result.Failures}, misroutes {result.Misroutes}, load core {result.MedianLoadCoreBusy:F2}"));
        return result;
    }

    /// <summary>One run of the load at <see cref="Rate"/> while the contender is sampled; and the sampled wall time, which
    /// with the CPU share gives the CPU seconds spent.</summary>
    private static async Task<(SampledRun<HandshakeCounts> Sample, TimeSpan Wall)> RunAsync(
        RunningContender running, SniBackends backends, TimeSpan duration, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        var sample = await SampledRun.MeasureAsync(running, () => HandshakesAsync(running.Port, backends, duration, cancellation)).ConfigureAwait(false);
        return (sample, clock.Elapsed);
    }

    private static async Task<HandshakeCounts> HandshakesAsync(int port, SniBackends backends, TimeSpan duration, CancellationToken cancellation)
    {
        var self = typeof(HandshakeLoad).Assembly.Location;
        string[] arguments = [self, "handshakes", Text(port), Text(Rate), Text((int)duration.TotalSeconds), backends.CertificateA, backends.CertificateB];
        await using var load = Pinned.Start(Pinned.LoadCore, "dotnet", arguments, duration + TimeSpan.FromSeconds(60));
        var exitCode = await load.WaitForExitAsync(cancellation).ConfigureAwait(false);
        var line = load.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        if (exitCode != 0 || line is null)
        {
            throw new InvalidOperationException($"handshakes exited {exitCode}: {load.Error}");
        }

        return JsonSerializer.Deserialize<HandshakeCounts>(line) ?? throw new JsonException($"handshakes printed '{line}'");
    }

    private static string Render(List<SniResult> rows)
    {
        var md = new StringBuilder("## SNI routing: CPU at a fixed TLS handshake rate\n\n");
        md.Append(CultureInfo.InvariantCulture, $"{Rate} new connections a second, each a full TLS handshake (TLS 1.3, P-256, no resumption) then closed, ")
            .Append(CultureInfo.InvariantCulture, $"alternating SNI {HandshakeLoad.NameA} / {HandshakeLoad.NameB}, routed by SNI without terminating TLS to two ")
            .Append("nginx TLS servers on the load core with distinct self-signed certificates. The load checks each certificate received: one of ")
            .Append("the other backend is a misroute. CPU share = the contender's CPU time / wall time (1.00 = the whole proxy core); ")
            .Append("lower is better. Context switches: every thread of the contender's, voluntary and involuntary, per handshake; at this ")
            .Append("rate on a virtual machine each sleep and wake-up costs more CPU than the few bytes the event brings, so they explain most ")
            .Append("of the CPU. Failures count refused, reset or timed-out connections and starts skipped while ")
            .Append(CultureInfo.InvariantCulture, $"{HandshakeLoad.MaxInFlight} were in flight.\n\n");
        var peers = rows.Where(r => r.Contender.IsPeer && r.Error is null).ToList();
        var bestCpu = peers.Count > 0 ? peers.Min(r => r.MedianCpu) : double.NaN;
        var table = new MarkdownTable(
            "Contender", "Target /s", "Achieved /s", "Failures", "Misroutes", "CPU share", "vs best peer", "CPU ms per 1,000 handshakes",
            "Context switches per handshake", "Load core busy", "Peak RSS", "Warm-up", "<Runs (CPU share)");
        foreach (var row in rows)
        {
            if (row.Error is not null)
            {
                table.Failed(row.Contender.Name, row.Error);
                continue;
            }

            var failures = row.Failures.ToString(CultureInfo.InvariantCulture) + (row.FirstError is { } error ? $" ({error})" : "");
            table.Row(
                row.Contender.Name, Text(Rate), MarkdownTable.Number(row.MedianAchieved, "F0"), failures, row.Misroutes.ToString(CultureInfo.InvariantCulture),
                MarkdownTable.Number(row.MedianCpu, "F3"), MarkdownTable.Ratio(row.MedianCpu, bestCpu), MarkdownTable.Number(row.MedianCpuMsPerThousand, "F0"),
                MarkdownTable.Number(row.MedianSwitchesPerHandshake, "F1"), MarkdownTable.Number(row.MedianLoadCoreBusy, "F2"), MarkdownTable.Mib(row.PeakRssBytes), row.WarmUp?.Short ?? "–",
                MarkdownTable.Runs(row.CpuShares, "F3"));
        }

        return md.Append(table).Append('\n').ToString();
    }

    private static string Cpu(SniResult row) => row.Error is not null
        ? "failed"
        : string.Create(CultureInfo.InvariantCulture, $"{row.MedianCpu:F3} CPU share ({row.MedianCpuMsPerThousand:F0} ms per 1,000 handshakes{(row.Misroutes > 0 ? $", {row.Misroutes} misroutes" : "")})");

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
