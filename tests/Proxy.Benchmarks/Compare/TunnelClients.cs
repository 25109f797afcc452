using System.Globalization;
using System.Text.Json;

namespace Proxy.Benchmarks.Compare;

/// <summary>The two loads of the tunnel measure aimed at one started contender, both on the load core: iperf3 (under
/// proxychains4 for CONNECT and SOCKS5) and the setup-rate child (<see cref="TunnelLoad"/>).</summary>
/// <param name="protocol">How the loads ask for a tunnel.</param>
/// <param name="tunnel">The contender.</param>
/// <param name="iperfTarget">The iperf3 server's port, which iperf3 asks the tunnel for.</param>
/// <param name="httpTarget">The HTTP backend's port, which the setup load asks the tunnel for.</param>
/// <param name="proxychains">The command iperf3 runs under, or null to run it straight at <see cref="RunningTunnel.IperfPort"/>.</param>
internal sealed class TunnelClients(TunnelProtocol protocol, RunningTunnel tunnel, int iperfTarget, int httpTarget, IReadOnlyList<string>? proxychains)
{
    /// <summary>One iperf3 client run: to the iperf3 server through the contender (proxychains4), or at the Forward route;
    /// the bits per second the receiver got.</summary>
    public async Task<double> IperfAsync(TimeSpan duration, string[] extra, CancellationToken cancellation)
    {
        var port = proxychains is null ? tunnel.IperfPort : iperfTarget;
        var end = await Iperf3Client.RunAsync(port, duration, extra, cancellation, proxychains).ConfigureAwait(false);
        return end.GetProperty("sum_received").GetProperty("bits_per_second").GetDouble();
    }

    /// <summary>One run of the setup-rate child for <paramref name="duration"/>.</summary>
    public async Task<TunnelCounts> SetupAsync(TimeSpan duration, CancellationToken cancellation)
    {
        var self = typeof(TunnelLoad).Assembly.Location;
        string[] arguments =
        [
            self, "tunnels", protocol.ToString().ToLowerInvariant(), Text(tunnel.HttpPort), Text(httpTarget),
            Text(Math.Max(1, (int)duration.TotalSeconds)), Text(TunnelBenchmark.Concurrency),
        ];
        await using var load = Pinned.Start(Pinned.LoadCore, "dotnet", arguments, duration + TimeSpan.FromSeconds(60));
        var exitCode = await load.WaitForExitAsync(cancellation).ConfigureAwait(false);
        var line = load.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        if (exitCode != 0 || line is null)
        {
            throw new InvalidOperationException($"tunnels exited {exitCode}: {load.Error}");
        }

        var counts = JsonSerializer.Deserialize<TunnelCounts>(line) ?? throw new JsonException($"tunnels printed '{line}'");
        if (counts.Tunnels == 0)
        {
            throw new InvalidOperationException($"no tunnel carried a request ({counts.Failures} failed: {counts.FirstError})");
        }

        return counts;
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
