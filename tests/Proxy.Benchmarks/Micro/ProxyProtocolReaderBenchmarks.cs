using System.Buffers;
using System.Net;
using BenchmarkDotNet.Attributes;
using Proxy.ProxyProtocol;

namespace Proxy.Benchmarks.Micro;

/// <summary>
/// <see cref="ProxyProtocolReader.TryParse"/> on v1 and v2 headers made by the proxy's own writer. A complete header
/// allocates its two addresses and endpoints once per connection; telling a non-PROXY client apart and waiting for
/// the rest of a header allocate nothing.
/// </summary>
[MemoryDiagnoser]
public class ProxyProtocolReaderBenchmarks
{
    private const int MaxBytes = 536;
    private ReadOnlySequence<byte> _v1;
    private ReadOnlySequence<byte> _v1Split;
    private ReadOnlySequence<byte> _v2;
    private ReadOnlySequence<byte> _v2Ipv6;
    private ReadOnlySequence<byte> _v1Incomplete;
    private ReadOnlySequence<byte> _tls;

    [GlobalSetup]
    public void Setup()
    {
        var source = new IPEndPoint(IPAddress.Parse("198.51.100.7"), 40000);
        var destination = new IPEndPoint(IPAddress.Parse("203.0.113.10"), 443);
        var buffer = new byte[ProxyProtocolWriter.MaxV1Length];
        var v1 = buffer[..ProxyProtocolWriter.WriteV1(buffer, source, destination)];
        _v1 = new ReadOnlySequence<byte>(v1);
        _v1Split = Segments.Split(v1, 10, 30);
        _v1Incomplete = new ReadOnlySequence<byte>(v1, 0, v1.Length - 2);

        var v2Buffer = new byte[ProxyProtocolWriter.V2AddressHeaderLength];
        _v2 = new ReadOnlySequence<byte>(v2Buffer[..ProxyProtocolWriter.WriteV2(v2Buffer, source, destination)]);
        var v6Buffer = new byte[ProxyProtocolWriter.V2AddressHeaderLength];
        var v6Length = ProxyProtocolWriter.WriteV2(
            v6Buffer, new IPEndPoint(IPAddress.Parse("2001:db8::7"), 40000), new IPEndPoint(IPAddress.Parse("2001:db8::10"), 443));
        _v2Ipv6 = new ReadOnlySequence<byte>(v6Buffer[..v6Length]);
        _tls = new ReadOnlySequence<byte>([22, 3, 1, 2, 0, 1, 0, 1, 252, 3, 3, 0]);

        if (!V1Tcp4() || !V1Tcp4ThreeSegments() || !V2Tcp4() || !V2Tcp6() || !V1Incomplete() || !NotProxyProtocol())
        {
            throw new InvalidOperationException("A PROXY header does not parse as expected.");
        }
    }

    [Benchmark(Baseline = true)]
    public bool V1Tcp4() => ProxyProtocolReader.TryParse(_v1, MaxBytes, out _) == ProxyHeaderParseStatus.Complete;

    [Benchmark]
    public bool V1Tcp4ThreeSegments() => ProxyProtocolReader.TryParse(_v1Split, MaxBytes, out _) == ProxyHeaderParseStatus.Complete;

    [Benchmark]
    public bool V2Tcp4() => ProxyProtocolReader.TryParse(_v2, MaxBytes, out _) == ProxyHeaderParseStatus.Complete;

    [Benchmark]
    public bool V2Tcp6() => ProxyProtocolReader.TryParse(_v2Ipv6, MaxBytes, out _) == ProxyHeaderParseStatus.Complete;

    /// <summary>The per-read path while a header is still arriving.</summary>
    [Benchmark]
    public bool V1Incomplete() => ProxyProtocolReader.TryParse(_v1Incomplete, MaxBytes, out _) == ProxyHeaderParseStatus.Incomplete;

    /// <summary>An Optional port's check on a client that speaks TLS directly.</summary>
    [Benchmark]
    public bool NotProxyProtocol() => ProxyProtocolReader.TryParse(_tls, MaxBytes, out _) == ProxyHeaderParseStatus.NotProxyProtocol;
}
