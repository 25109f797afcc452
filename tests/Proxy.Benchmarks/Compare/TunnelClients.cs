using System.Globalization;
using System.Text.Json;
using Proxy.Hosting;

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

    /// <summary>The setup-rate child runs as the proxy does: socket continuations inline and no idle spinning in the
    /// thread pool. With the runtime's defaults it spent 6.5 s of CPU in 8 s on 4,000 tunnels/s, preempted about 700,000
    /// times, on the core it shares with the backend: the rate measured its scheduling, and moved with how a contender's
    /// answers happened to fall against its spinning.</summary>
    private static readonly Dictionary<string, string> LoadEnvironment = new()
    {
        [RuntimeTuning.InlineCompletionsVariable] = "1",
        ["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0",
    };

    /// <summary>One run of the setup-rate child for <paramref name="duration"/>.</summary>
    public async Task<TunnelCounts> SetupAsync(TimeSpan duration, CancellationToken cancellation)
    {
        var self = typeof(TunnelLoad).Assembly.Location;
        string[] arguments =
        [
            self, "tunnels", protocol.ToString().ToLowerInvariant(), Text(tunnel.HttpPort), Text(httpTarget),
            Text(Math.Max(1, (int)duration.TotalSeconds)), Text(TunnelBenchmark.Concurrency),
        ];
        await using var load = Pinned.Start(Pinned.LoadCore, "dotnet", arguments, duration + TimeSpan.FromSeconds(60), environment: LoadEnvironment);
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
