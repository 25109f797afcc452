namespace Proxy.Benchmarks.Compare;

/// <summary>A started tunnel contender: its processes, and where iperf3 and the setup-rate load connect.</summary>
/// <param name="running">Its processes (and companions), measured together and stopped together.</param>
/// <param name="iperfPort">Where iperf3 connects: the proxy's port (through proxychains4) for CONNECT and SOCKS5, the
/// Forward route to the iperf3 server for a plain route.</param>
/// <param name="httpPort">Where the setup-rate load connects: the proxy's port, or the Forward route to the HTTP backend.</param>
internal sealed class RunningTunnel(RunningContender running, int iperfPort, int httpPort) : IAsyncDisposable
{
    public RunningContender Running { get; } = running;

    public int IperfPort { get; } = iperfPort;

    public int HttpPort { get; } = httpPort;

    public ValueTask DisposeAsync() => Running.DisposeAsync();
}
