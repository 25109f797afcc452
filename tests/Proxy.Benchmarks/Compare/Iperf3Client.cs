using System.Globalization;
using System.Text.Json;

namespace Proxy.Benchmarks.Compare;

/// <summary>One iperf3 client run (<c>-J</c>) on the load core, bounded by its duration plus 30 s.</summary>
internal static class Iperf3Client
{
    /// <summary>Runs <c>iperf3 -c 127.0.0.1 -p PORT -t SECONDS -J</c> plus <paramref name="extra"/>, under the command
    /// <paramref name="prefix"/> when given (<c>proxychains4 -q -f CONF</c>), and returns the report's <c>end</c> object.
    /// Retries twice when the server is still busy with the previous test.</summary>
    public static async Task<JsonElement> RunAsync(
        int port, TimeSpan duration, string[] extra, CancellationToken cancellation, IReadOnlyList<string>? prefix = null)
    {
        string[] arguments = ["-c", "127.0.0.1", "-p", Text(port), "-t", Text((int)duration.TotalSeconds), "-J", .. extra];
        string[] command = prefix is { Count: > 0 } ? [.. prefix, "iperf3", .. arguments] : ["iperf3", .. arguments];
        for (var attempt = 1; ; attempt++)
        {
            await using var client = Pinned.Start(Pinned.LoadCore, command[0], command[1..], duration + TimeSpan.FromSeconds(30));
            var exitCode = await client.WaitForExitAsync(cancellation).ConfigureAwait(false);
            using var json = JsonDocument.Parse(client.Output is { Length: > 0 } output ? output : "{}");
            var root = json.RootElement;
            if (root.TryGetProperty("error", out var error))
            {
                // The server takes a moment to accept the next test after the previous one ends.
                if (attempt < 3 && error.GetString()?.Contains("busy", StringComparison.OrdinalIgnoreCase) == true)
                {
                    await Task.Delay(TimeSpan.FromSeconds(2), cancellation).ConfigureAwait(false);
                    continue;
                }

                throw new InvalidOperationException($"iperf3 {string.Join(' ', arguments)}: {error.GetString()}");
            }

            if (exitCode != 0 || !root.TryGetProperty("end", out var end) || !end.TryGetProperty("sum_received", out _))
            {
                throw new InvalidOperationException($"iperf3 {string.Join(' ', arguments)} exited {exitCode}: {client.Error}");
            }

            return end.Clone();
        }
    }

    public static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
