using System.Globalization;
using System.Text.RegularExpressions;

namespace Proxy.Benchmarks.Compare;

/// <summary>One wrk run (<c>-t1 --latency</c>) on the load core, bounded by its duration plus 30 s, and the parser of
/// its text report (wrk has no machine-readable output).</summary>
internal static partial class WrkClient
{
    /// <summary>Runs <c>wrk -t1 -cN -dSECONDS --latency</c> plus <paramref name="extra"/> against
    /// <c>http://127.0.0.1:PORT/</c>.</summary>
    public static async Task<WrkResult> RunAsync(int port, int connections, TimeSpan duration, string[] extra, CancellationToken cancellation)
    {
        string[] arguments =
        [
            "-t1", Text($"-c{connections}"), Text($"-d{(int)duration.TotalSeconds}s"), "--latency", .. extra, Text($"http://127.0.0.1:{port}/"),
        ];
        await using var wrk = Pinned.Start(Pinned.LoadCore, "wrk", arguments, duration + TimeSpan.FromSeconds(30));
        var exitCode = await wrk.WaitForExitAsync(cancellation).ConfigureAwait(false);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"wrk {string.Join(' ', arguments)} exited {exitCode}: {wrk.Error}{wrk.Output}");
        }

        return Parse(wrk.Output);
    }

    /// <summary>Reads "Requests/sec:", the 50/75/90/99 % lines of "Latency Distribution" (us, ms, s or m), and the
    /// optional "Socket errors:" and "Non-2xx or 3xx responses:" lines.</summary>
    /// <exception cref="InvalidOperationException">A figure is missing or unreadable; the message holds the output.</exception>
    public static WrkResult Parse(string output)
    {
        var rate = RequestsPerSecond().Match(output);
        var distribution = output.IndexOf("Latency Distribution", StringComparison.Ordinal);
        if (!rate.Success || distribution < 0)
        {
            throw new InvalidOperationException($"wrk printed no Requests/sec or Latency Distribution:\n{output}");
        }

        var percentiles = new Dictionary<int, double>();
        foreach (Match line in Percentile().Matches(output[distribution..]))
        {
            percentiles.TryAdd(int.Parse(line.Groups["p"].ValueSpan, CultureInfo.InvariantCulture), Microseconds(line, output));
        }

        foreach (var wanted in (int[])[50, 75, 90, 99])
        {
            if (!percentiles.ContainsKey(wanted))
            {
                throw new InvalidOperationException($"wrk printed no {wanted}% latency:\n{output}");
            }
        }

        var socket = SocketErrors().Match(output);
        var non2xx = Non2xxResponses().Match(output);
        return new WrkResult(
            Number(rate.Groups["v"].Value, output), percentiles[50], percentiles[75], percentiles[90], percentiles[99],
            Count(socket, "connect"), Count(socket, "read"), Count(socket, "write"), Count(socket, "timeout"), Count(non2xx, "n"));
    }

    private static double Microseconds(Match line, string output)
    {
        var value = Number(line.Groups["v"].Value, output);
        return line.Groups["unit"].Value switch
        {
            "us" => value,
            "ms" => value * 1e3,
            "s" => value * 1e6,
            "m" => value * 60e6,
            var unit => throw new InvalidOperationException($"wrk printed a latency in '{unit}':\n{output}"),
        };
    }

    private static double Number(string text, string output) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new InvalidOperationException($"wrk printed '{text}' where a number was expected:\n{output}");

    private static long Count(Match match, string group) =>
        match.Success ? long.Parse(match.Groups[group].ValueSpan, CultureInfo.InvariantCulture) : 0;

    private static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^Requests/sec:\s+(?<v>[0-9.]+)\s*$", RegexOptions.Multiline)]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"^\s+(?<p>50|75|90|99)%\s+(?<v>[0-9.]+)(?<unit>[a-z]+)\s*$", RegexOptions.Multiline)]
    private static partial Regex Percentile();

    [GeneratedRegex(@"Socket errors: connect (?<connect>\d+), read (?<read>\d+), write (?<write>\d+), timeout (?<timeout>\d+)")]
    private static partial Regex SocketErrors();

    [GeneratedRegex(@"Non-2xx or 3xx responses: (?<n>\d+)")]
    private static partial Regex Non2xxResponses();
}
