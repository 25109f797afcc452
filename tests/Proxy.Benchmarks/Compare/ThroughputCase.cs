namespace Proxy.Benchmarks.Compare;

/// <summary>One iperf3 shape: parallel streams and direction (<c>-R</c>: the server sends, through the route back).</summary>
internal sealed record ThroughputCase(int Streams, bool Reverse)
{
    public static IReadOnlyList<ThroughputCase> All { get; } =
    [
        new(1, false), new(8, false), new(1, true), new(8, true),
    ];

    public string Title => $"{Streams} stream{(Streams == 1 ? "" : "s")}, {(Reverse ? "target → client (-R)" : "client → target")}";
}
