using System.Globalization;

namespace Proxy.Benchmarks.Compare;

/// <summary>How long and how often each case runs. Full: warm 30 s (the .NET runtime needs about that much load on
/// a shared core before tiered compilation settles; a short warm-up under-measures it by ~40 %), 3 runs of 10 s,
/// medians reported. <c>--quick</c>: warm 3 s, 1 run of 3 s, to check the harness end to end.</summary>
internal sealed record CompareOptions(bool Quick, TimeSpan WarmUp, TimeSpan Duration, int Runs, int IdleConnections)
{
    /// <summary><c>--only throughput</c>, <c>--only udp</c> or <c>--only idle</c>: one measure; null runs every measure.</summary>
    public string? Only { get; init; }

    /// <summary>The connection count the issue asks for; capped by what the open-file limit allows.</summary>
    public const int RequestedIdleConnections = 10_000;

    public static CompareOptions Parse(IReadOnlyList<string> args)
    {
        var quick = false;
        string? only = null;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--only" when i + 1 < args.Count && args[i + 1] is "throughput" or "udp" or "idle":
                    only = args[++i];
                    break;
                default:
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"unknown option '{args[i]}' (--quick, --only throughput|udp|idle)"));
            }
        }

        var options = quick
            ? new CompareOptions(true, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(3), 1, IdleLimit())
            : new CompareOptions(false, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(10), 3, IdleLimit());
        return options with { Only = only };
    }

    /// <summary>Descriptors a contender holds besides its connections: the .NET proxy keeps ~300 open (its assemblies,
    /// the runtime's pipes and event handles, the store); the report shows each contender's count.</summary>
    private const int OwnDescriptors = 512;

    /// <summary>A forwarded connection holds two descriptors in the proxy, and no child can raise its limit past the
    /// hard limit, so the count is the smaller of 10,000 and what fits.</summary>
    private static int IdleLimit() =>
        (int)Math.Min(RequestedIdleConnections, Math.Min((FileLimits.Hard - OwnDescriptors) / 2, FileLimits.Soft - OwnDescriptors));
}
