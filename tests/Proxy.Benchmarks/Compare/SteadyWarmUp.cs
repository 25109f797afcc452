using System.Diagnostics;
using System.Globalization;

namespace Proxy.Benchmarks.Compare;

/// <summary>Warms a contender until its figure is steady: load in slices of <see cref="CompareOptions.WarmUpSlice"/>,
/// for at least <see cref="CompareOptions.WarmUp"/> (the .NET runtime needs about 30 s of load on a shared core before
/// tiered compilation settles), then until the last three slices are within ±5 % of their median, for at most
/// <see cref="CompareOptions.MaxWarmUp"/>. A figure still moving at the cap is reported as not steady.</summary>
internal static class SteadyWarmUp
{
    private const double Tolerance = 0.05;
    private const int SteadySlices = 3;

    /// <param name="label">The contender, for the console.</param>
    /// <param name="options">The minimum, slice and maximum times.</param>
    /// <param name="cancellation">Stops the warm-up.</param>
    /// <param name="slice">Runs the load for the given time and returns its figure (any unit, higher or lower is better).</param>
    public static async Task<WarmUpResult> RunAsync(
        string label, CompareOptions options, Func<TimeSpan, CancellationToken, Task<double>> slice, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        var figures = new List<double>();
        while (true)
        {
            figures.Add(await slice(options.WarmUpSlice, cancellation).ConfigureAwait(false));
            var steady = IsSteady(figures);
            if ((clock.Elapsed >= options.WarmUp && steady) || clock.Elapsed >= options.MaxWarmUp)
            {
                var result = new WarmUpResult(clock.Elapsed, steady, figures);
                Console.WriteLine($"  warm-up {label}: {result}");
                return result;
            }
        }
    }

    private static bool IsSteady(List<double> figures)
    {
        if (figures.Count < SteadySlices)
        {
            return false;
        }

        var last = figures.TakeLast(SteadySlices).ToArray();
        var median = Statistics.Median(last);
        return median != 0 && last.All(f => Math.Abs(f - median) <= Tolerance * Math.Abs(median));
    }
}

/// <summary>How long a contender was warmed, whether its figure had settled, and each slice's figure.</summary>
internal sealed record WarmUpResult(TimeSpan Elapsed, bool Steady, IReadOnlyList<double> Figures)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Elapsed.TotalSeconds:F0} s, {(Steady ? "steady" : "NOT steady")} ({string.Join(", ", Figures.Select(f => f.ToString("G3", CultureInfo.InvariantCulture)))})");

    /// <summary>The report's short form: "35 s" or "90 s, not steady".</summary>
    public string Short => string.Create(CultureInfo.InvariantCulture, $"{Elapsed.TotalSeconds:F0} s{(Steady ? "" : ", not steady")}");
}
