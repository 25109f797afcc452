using System.Diagnostics;

namespace Proxy.Benchmarks.Compare;

/// <summary><c>compare [--quick]</c>: installs the peers if missing, measures this proxy against them side by side on
/// loopback, and writes tests/Proxy.Benchmarks/results/latest.md. Runs the Release build of src/Proxy as it is:
/// build it first (<c>dotnet build -c Release src/Proxy</c>).</summary>
internal static class CompareCommand
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var options = CompareOptions.Parse(args);
        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };

        if (Environment.ProcessorCount < 2)
        {
            await Console.Error.WriteLineAsync("compare needs two cores: one for the proxy, one for the load.").ConfigureAwait(false);
            return 1;
        }

        if (!File.Exists(RepositoryPaths.ProxyDll))
        {
            await Console.Error.WriteLineAsync($"{RepositoryPaths.ProxyDll} is missing: run `dotnet build -c Release src/Proxy` first.").ConfigureAwait(false);
            return 1;
        }

        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        await ToolInstaller.EnsureAsync(cancellation.Token).ConfigureAwait(false);
        var machine = await MachineInfo.ReadAsync(cancellation.Token).ConfigureAwait(false);

        Contender[] contenders =
        [
            new DirectContender(),
            new ProxyContender(),
            new HaproxyContender(splice: false),
            new HaproxyContender(splice: true),
            new NginxContender(),
            new SocatContender(),
        ];

        // HAProxy once for UDP (its row says it has none): the splice variant differs only in how it copies TCP.
        IMeasure[] measures =
        [
            new ThroughputBenchmark(options, contenders),
            new UdpThroughputBenchmark(options, [.. contenders.Where(c => c is not HaproxyContender { Splice: true })]),
            new IdleConnectionsBenchmark(options, contenders),
            new SoakBenchmark(options),
            new ConnectionRateBenchmark(options, contenders),
            new LatencyBenchmark(options, contenders),
            new HttpBenchmark(
                options,
                [new DirectHttpContender(), new ProxyHttpContender(), new NoUpstreamHttpContender(), new NginxProxyPassContender(), new HaproxyHttpContender()]),
            new SniRoutingBenchmark(options),
            new TunnelBenchmark(options),
        ];
        var reports = new List<MeasureReport>();
        foreach (var measure in CompareOptions.Measures.SelectMany(key => measures.Where(m => m.Key == key)).Where(m => options.Includes(m.Key)))
        {
            Console.WriteLine($"== {measure.Key}");
            reports.Add(await measure.RunAsync(cancellation.Token).ConfigureAwait(false));
        }

        var report = MarkdownReport.Render(machine, options, started, clock.Elapsed, reports);
        var path = Path.Combine(RepositoryPaths.BenchmarkProject, "results", options.ReportName);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, report, cancellation.Token).ConfigureAwait(false);
        Console.WriteLine();
        Console.WriteLine(report);
        Console.WriteLine($"written to {path}");
        return 0;
    }
}
