namespace Proxy.Benchmarks.Compare;

/// <summary>One iperf3 -u shape: the datagram payload (<c>-l</c>), sent as fast as the client can (<c>-b 0</c>), one
/// stream, client → target (the only direction that carries data in iperf3 -u).</summary>
internal sealed record UdpCase(int DatagramBytes)
{
    public static IReadOnlyList<UdpCase> All { get; } = [new(1400), new(8000)];

    public string Title => $"{DatagramBytes:N0}-byte datagrams (-l {DatagramBytes})";

    public string[] IperfArguments => ["-u", "-b", "0", "-l", Iperf3Client.Text(DatagramBytes)];
}
