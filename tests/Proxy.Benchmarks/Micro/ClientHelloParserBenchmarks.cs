using System.Buffers;
using BenchmarkDotNet.Attributes;
using Proxy.Tls;

namespace Proxy.Benchmarks.Micro;

/// <summary>
/// <see cref="ClientHelloParser.TryParse"/> on a ClientHello captured from SslStream. A complete parse allocates its
/// result once per connection (the info object, the SNI string, the ALPN list); a read that does not yet hold the
/// whole hello, which is what every peek read but the last one sees, must allocate nothing.
/// </summary>
[MemoryDiagnoser]
public class ClientHelloParserBenchmarks
{
    private const int MaxBytes = 16 * 1024;
    private ReadOnlySequence<byte> _single;
    private ReadOnlySequence<byte> _threeSegments;
    private ReadOnlySequence<byte> _firstHalf;

    [GlobalSetup]
    public void Setup()
    {
        var hello = ClientHelloCapture.CaptureAsync("db.example.test").GetAwaiter().GetResult();
        _single = new ReadOnlySequence<byte>(hello);
        _threeSegments = Segments.Split(hello, hello.Length / 3, 2 * hello.Length / 3);
        _firstHalf = new ReadOnlySequence<byte>(hello, 0, hello.Length / 2);
        if (CompleteSingleSegment() != "db.example.test" || CompleteThreeSegments() != "db.example.test" || !IncompleteFirstHalf())
        {
            throw new InvalidOperationException("The captured ClientHello does not parse as expected.");
        }
    }

    [Benchmark(Baseline = true)]
    public string? CompleteSingleSegment()
    {
        ClientHelloParser.TryParse(_single, MaxBytes, out var info);
        return info?.ServerName;
    }

    [Benchmark]
    public string? CompleteThreeSegments()
    {
        ClientHelloParser.TryParse(_threeSegments, MaxBytes, out var info);
        return info?.ServerName;
    }

    /// <summary>The per-read path while peeking: half a hello is Incomplete and must cost no allocation.</summary>
    [Benchmark]
    public bool IncompleteFirstHalf() =>
        ClientHelloParser.TryParse(_firstHalf, MaxBytes, out _) == ClientHelloParseStatus.Incomplete;
}
