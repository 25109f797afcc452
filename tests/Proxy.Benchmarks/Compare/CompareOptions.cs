using System.Globalization;

namespace Proxy.Benchmarks.Compare;

/// <summary>How long and how often each case runs. Full: warm each contender until steady (at least 30 s, in 5 s
/// slices, at most 90 s; see <see cref="SteadyWarmUp"/>), then 3 runs of 10 s per case, medians reported.
/// <c>--quick</c>: one 3 s warm-up slice and 1 run of 3 s, to check the harness end to end.</summary>
internal sealed record CompareOptions(bool Quick, TimeSpan WarmUp, TimeSpan WarmUpSlice, TimeSpan MaxWarmUp, TimeSpan Duration, int Runs, int IdleConnections)
{
    /// <summary>Every measure, in the order a full run takes them.</summary>
    public static readonly string[] Measures = ["throughput", "udp", "idle", "connections", "latency", "http", "sni", "tunnels", "soak"];

    /// <summary><c>--only a,b</c>: those measures; null runs every measure.</summary>
    public IReadOnlySet<string>? Only { get; init; }

    /// <summary>The soak: load for this long while this proxy's memory is sampled (10 minutes; <c>--quick</c> 30 s).</summary>
    public TimeSpan Soak { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>The connection count the issue asks for; capped by what the open-file limit allows.</summary>
    public const int RequestedIdleConnections = 10_000;

    public bool Includes(string measure) => Only is null || Only.Contains(measure);

    public static CompareOptions Parse(IReadOnlyList<string> args)
    {
        var quick = false;
        HashSet<string>? only = null;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--only" when i + 1 < args.Count && args[i + 1].Split(',').All(Measures.Contains):
                    only = [.. args[++i].Split(',')];
                    break;
                default:
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                        $"unknown option '{args[i]}' (--quick, --only {string.Join('|', Measures)}[,...])"));
            }
        }

        var options = quick
            ? new CompareOptions(true, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(3), 1, IdleLimit())
                { Soak = TimeSpan.FromSeconds(30) }
            : new CompareOptions(false, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(90), TimeSpan.FromSeconds(10), 3, IdleLimit());
        return options with { Only = only };
    }

    /// <summary>The name of the report file: latest.md for a full run, latest-a-b.md for <c>--only a,b</c>.</summary>
    public string ReportName => Only is null ? "latest.md" : $"latest-{string.Join('-', Measures.Where(Only.Contains))}.md";

    /// <summary>The command line that produced the report.</summary>
    public string CommandLine => "compare" + (Quick ? " --quick" : "") + (Only is null ? "" : " --only " + string.Join(',', Measures.Where(Only.Contains)));

    /// <summary>Descriptors a contender holds besides its connections: the .NET proxy keeps ~300 open (its assemblies,
    /// the runtime's pipes and event handles, the store); the report shows each contender's count.</summary>
    private const int OwnDescriptors = 512;

    /// <summary>A forwarded connection holds two descriptors in the proxy, and no child can raise its limit past the
    /// hard limit, so the count is the smaller of 10,000 and what fits.</summary>
    private static int IdleLimit() =>
        (int)Math.Min(RequestedIdleConnections, Math.Min((FileLimits.Hard - OwnDescriptors) / 2, FileLimits.Soft - OwnDescriptors));
}
