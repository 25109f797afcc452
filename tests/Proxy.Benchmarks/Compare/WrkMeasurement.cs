using System.Globalization;

namespace Proxy.Benchmarks.Compare;

/// <summary>One contender's part of a wrk measure (connection rate, latency, HTTP): warmed with wrk until its requests
/// per second are steady, then <see cref="CompareOptions.Runs"/> runs of <see cref="CompareOptions.Duration"/> while
/// its CPU share and memory are sampled; or why it failed.</summary>
internal sealed record WrkMeasurement(string Name, bool IsPeer, IReadOnlyList<SampledRun<WrkResult>> Runs, WarmUpResult? WarmUp, string? Error)
{
    public double RequestsPerSecond => Median(r => r.RequestsPerSecond);

    public double P50Us => Median(r => r.P50Us);

    public double P99Us => Median(r => r.P99Us);

    /// <summary>NaN for the direct route, which has no process to measure.</summary>
    public double CpuShare => SampledRun.MedianCpu(Runs);

    /// <summary>Requests per second per proxy core: what it would serve with a whole core to itself.</summary>
    public double PerCore => CpuShare > 0 ? RequestsPerSecond / CpuShare : double.NaN;

    public double LoadCoreBusy => SampledRun.MedianLoad(Runs);

    public long PeakRssBytes => SampledRun.PeakRss(Runs);

    /// <summary>wrk's failed requests over every measured run: "0", or each kind that occurred.</summary>
    public string ErrorSummary => new WrkResult(
        double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, Runs.Sum(r => r.Value.ConnectErrors), Runs.Sum(r => r.Value.ReadErrors),
        Runs.Sum(r => r.Value.WriteErrors), Runs.Sum(r => r.Value.Timeouts), Runs.Sum(r => r.Value.Non2xx)).ErrorSummary;

    /// <summary>Every run's figure, for the report's "Runs" column.</summary>
    public string RunFigures(Func<WrkResult, double> figure, string format) => MarkdownTable.Runs(Runs.Select(r => figure(r.Value)), format);

    /// <summary>How long one contender may live in a wrk measure: the longest warm-up and every run, with room to spare.</summary>
    public static TimeSpan Lifetime(CompareOptions options) =>
        options.MaxWarmUp + options.WarmUpSlice + (options.Runs * (options.Duration + TimeSpan.FromSeconds(30))) + TimeSpan.FromMinutes(2);

    /// <summary>Starts a contender, warms it and measures it; an <see cref="InvalidOperationException"/> or
    /// <see cref="IOException"/> (it did not start, wrk failed or printed nothing readable) becomes a failed row.</summary>
    /// <param name="measure">The measure's key, for the console.</param>
    /// <param name="name">The contender's name.</param>
    /// <param name="isPeer">Whether it counts as a peer for the "best peer" ratios.</param>
    /// <param name="options">Warm-up, run count and duration.</param>
    /// <param name="start">Starts the contender; it is stopped when its runs end.</param>
    /// <param name="load">One wrk run against a port for a time.</param>
    /// <param name="cancellation">Stops everything.</param>
    public static async Task<WrkMeasurement> TakeAsync(
        string measure, string name, bool isPeer, CompareOptions options, Func<CancellationToken, Task<RunningContender>> start,
        Func<int, TimeSpan, CancellationToken, Task<WrkResult>> load, CancellationToken cancellation)
    {
        Console.WriteLine($"{measure}: {name}");
        try
        {
            await using var running = await start(cancellation).ConfigureAwait(false);
            var warm = await SteadyWarmUp.RunAsync(
                name, options, async (time, token) => (await load(running.Port, time, token).ConfigureAwait(false)).RequestsPerSecond, cancellation)
                .ConfigureAwait(false);
            var runs = new List<SampledRun<WrkResult>>();
            for (var run = 0; run < options.Runs; run++)
            {
                runs.Add(await SampledRun.MeasureAsync(running, () => load(running.Port, options.Duration, cancellation)).ConfigureAwait(false));
            }

            var result = new WrkMeasurement(name, isPeer, runs, warm, null);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {result.RequestsPerSecond:F0} req/s, p50 {result.P50Us:F0} µs, p99 {result.P99Us:F0} µs, cpu {result.CpuShare:F2}, "
                + $"load core {result.LoadCoreBusy:F2}, errors {result.ErrorSummary}"));
            return result;
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException)
        {
            Console.WriteLine($"  failed: {ex.Message}");
            return new WrkMeasurement(name, isPeer, [], null, ex.Message.Split('\n')[0]);
        }
    }

    private double Median(Func<WrkResult, double> figure) => Statistics.Median([.. Runs.Select(r => figure(r.Value))]);
}
