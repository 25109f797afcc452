using System.Buffers;
using System.Net;
using System.Text;
using Proxy.ProxyProtocol;
using Proxy.Tests.Buffers;
using Proxy.Tests.Infrastructure;
using Xunit;

namespace Proxy.Tests.ProxyProtocol;

public sealed class ProxyProtocolWriterTests
{
    public static TheoryData<string, string, string, string> RoundTrips => new()
    {
        // source, destination, expected source, expected destination (after unmapping or mapping)
        { "192.168.0.1:56324", "192.168.0.11:443", "192.168.0.1:56324", "192.168.0.11:443" },
        { "[2001:db8::1]:1234", "[2001:db8::2]:443", "[2001:db8::1]:1234", "[2001:db8::2]:443" },
        { "[::ffff:10.1.2.3]:5000", "[::ffff:10.0.0.1]:443", "10.1.2.3:5000", "10.0.0.1:443" },
        { "[::ffff:10.1.2.3]:5000", "10.0.0.1:443", "10.1.2.3:5000", "10.0.0.1:443" },
        { "10.1.2.3:5000", "[2001:db8::2]:443", "[::ffff:10.1.2.3]:5000", "[2001:db8::2]:443" },
        { "[2001:db8::1]:0", "[::ffff:10.0.0.1]:65535", "[2001:db8::1]:0", "[::ffff:10.0.0.1]:65535" },
        { "[fe80::1%3]:80", "[::1]:8080", "[fe80::1]:80", "[::1]:8080" },
        { "0.0.0.0:0", "255.255.255.255:65535", "0.0.0.0:0", "255.255.255.255:65535" },
    };

    [Fact]
    public void WriteV1KnownExampleMatchesTheSpecText()
    {
        Span<byte> buffer = stackalloc byte[ProxyProtocolWriter.MaxV1Length];
        int written = ProxyProtocolWriter.WriteV1(buffer, IPEndPoint.Parse("192.168.0.1:56324"), IPEndPoint.Parse("192.168.0.11:443"));

        Assert.Equal("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n", Encoding.ASCII.GetString(buffer[..written]));
    }

    [Fact]
    public void WriteV2KnownTcp4ExampleMatchesByteByByte()
    {
        Span<byte> buffer = stackalloc byte[ProxyProtocolWriter.V2AddressHeaderLength];
        int written = ProxyProtocolWriter.WriteV2(buffer, IPEndPoint.Parse("192.168.0.1:56324"), IPEndPoint.Parse("192.168.0.11:443"));

        byte[] expected =
        [
            0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, // signature
            0x21, // version 2, PROXY
            0x11, // AF_INET, STREAM
            0x00, 0x0C, // 12 bytes of addresses follow
            192, 168, 0, 1, // source address
            192, 168, 0, 11, // destination address
            0xDC, 0x04, // 56324
            0x01, 0xBB, // 443
        ];
        Assert.Equal(expected, buffer[..written].ToArray());
    }

    [Fact]
    public void WriteV1Ipv6AndMixedFamiliesUseTcp6()
    {
        Assert.Equal("PROXY TCP6 2001:db8::1 2001:db8::2 1234 443\r\n", V1("[2001:db8::1]:1234", "[2001:db8::2]:443"));
        Assert.Equal("PROXY TCP6 ::ffff:10.1.2.3 2001:db8::2 1234 443\r\n", V1("10.1.2.3:1234", "[2001:db8::2]:443"));
        Assert.Equal("PROXY TCP4 10.1.2.3 10.0.0.1 1234 443\r\n", V1("[::ffff:10.1.2.3]:1234", "[::ffff:10.0.0.1]:443"));
        Assert.Equal("PROXY TCP6 fe80::1 ::1 80 8080\r\n", V1("[fe80::1%3]:80", "[::1]:8080"));
    }

    [Fact]
    public void WriteV1LongestIpv6LineFitsMaxV1Length()
    {
        string max = "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535";
        Span<byte> buffer = stackalloc byte[ProxyProtocolWriter.MaxV1Length];
        int written = ProxyProtocolWriter.WriteV1(buffer, IPEndPoint.Parse(max), IPEndPoint.Parse(max));
        Assert.Equal(104, written);
    }

    [Fact]
    public void WriteV2Ipv6AndMixedUseAfInet6()
    {
        Span<byte> buffer = stackalloc byte[ProxyProtocolWriter.V2AddressHeaderLength];
        int written = ProxyProtocolWriter.WriteV2(buffer, IPEndPoint.Parse("10.1.2.3:1"), IPEndPoint.Parse("[2001:db8::2]:2"));
        Assert.Equal(52, written);
        Assert.Equal(0x21, buffer[13]);
        Assert.Equal([0, 36], buffer[14..16].ToArray());
        Assert.Equal(IPAddress.Parse("::ffff:10.1.2.3").GetAddressBytes(), buffer[16..32].ToArray());
    }

    [Theory]
    [MemberData(nameof(RoundTrips))]
    public void V1RoundTripsThroughTheReader(string source, string destination, string expectedSource, string expectedDestination)
    {
        Span<byte> buffer = stackalloc byte[ProxyProtocolWriter.MaxV1Length];
        int written = ProxyProtocolWriter.WriteV1(buffer, IPEndPoint.Parse(source), IPEndPoint.Parse(destination));
        AssertReadsBack(buffer[..written].ToArray(), 1, expectedSource, expectedDestination);
    }

    [Theory]
    [MemberData(nameof(RoundTrips))]
    public void V2RoundTripsThroughTheReader(string source, string destination, string expectedSource, string expectedDestination)
    {
        Span<byte> buffer = stackalloc byte[ProxyProtocolWriter.V2AddressHeaderLength];
        int written = ProxyProtocolWriter.WriteV2(buffer, IPEndPoint.Parse(source), IPEndPoint.Parse(destination));
        AssertReadsBack(buffer[..written].ToArray(), 2, expectedSource, expectedDestination);
    }

    [Fact]
    public void TooSmallBufferThrows()
    {
        var source = IPEndPoint.Parse("192.168.0.1:56324");
        var destination = IPEndPoint.Parse("192.168.0.11:443");
        Assert.Throws<ArgumentException>(() => ProxyProtocolWriter.WriteV1(new byte[46], source, destination));
        Assert.Throws<ArgumentException>(() => ProxyProtocolWriter.WriteV1(new byte[10], source, destination));
        Assert.Throws<ArgumentException>(() => ProxyProtocolWriter.WriteV2(new byte[27], source, destination));
        Assert.Equal(47, ProxyProtocolWriter.WriteV1(new byte[47], source, destination));
        Assert.Equal(28, ProxyProtocolWriter.WriteV2(new byte[28], source, destination));
    }

    [Fact]
    public void WritingDoesNotAllocate()
    {
        var v4 = IPEndPoint.Parse("192.168.0.1:56324");
        var v6 = IPEndPoint.Parse("[2001:db8::1]:443");
        var mapped = IPEndPoint.Parse("[::ffff:10.0.0.1]:80");
        var buffer = new byte[ProxyProtocolWriter.MaxV1Length];
        var (_, allocated) = Allocations.Measure(() =>
        {
            WriteAll(buffer, v4, v6, mapped);
            return true;
        });

        Assert.Equal(0, allocated);
    }

    private static void WriteAll(byte[] buffer, IPEndPoint v4, IPEndPoint v6, IPEndPoint mapped)
    {
        for (int i = 0; i < 10; i++)
        {
            ProxyProtocolWriter.WriteV1(buffer, v4, v4);
            ProxyProtocolWriter.WriteV1(buffer, v6, v6);
            ProxyProtocolWriter.WriteV1(buffer, v4, v6);
            ProxyProtocolWriter.WriteV1(buffer, mapped, v6);
            ProxyProtocolWriter.WriteV2(buffer, v4, v4);
            ProxyProtocolWriter.WriteV2(buffer, mapped, v6);
        }
    }

    private static string V1(string source, string destination)
    {
        var buffer = new byte[ProxyProtocolWriter.MaxV1Length];
        int written = ProxyProtocolWriter.WriteV1(buffer, IPEndPoint.Parse(source), IPEndPoint.Parse(destination));
        return Encoding.ASCII.GetString(buffer, 0, written);
    }

    private static void AssertReadsBack(byte[] written, int version, string expectedSource, string expectedDestination)
    {
        byte[] withPayload = [.. written, 0x16, 0x03, 0x01];
        var status = ProxyProtocolReader.TryParse(SequenceFactory.Split(withPayload, written.Length / 2), 4096, out var header);

        Assert.Equal(ProxyHeaderParseStatus.Complete, status);
        Assert.Equal(new ProxyHeader(version, false, IPEndPoint.Parse(expectedSource), IPEndPoint.Parse(expectedDestination), written.Length), header);
        Assert.Equal(ProxyHeaderParseStatus.Complete, ProxyProtocolReader.TryParse(new ReadOnlySequence<byte>(written), written.Length, out _));
    }
}
