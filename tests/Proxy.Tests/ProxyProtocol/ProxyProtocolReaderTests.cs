using System.Buffers;
using System.Net;
using System.Text;
using Proxy.ProxyProtocol;
using Proxy.Tests.Buffers;
using Proxy.Tests.Infrastructure;
using Xunit;

namespace Proxy.Tests.ProxyProtocol;

public sealed class ProxyProtocolReaderTests
{
    private const int MaxBytes = 4096;
    private static readonly byte[] Signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];
    private static readonly byte[] Payload = "\x16\x03\x01payload"u8.ToArray();

    // The worst case line from proxy-protocol.txt §2.1, exactly 107 bytes.
    private const string LongestUnknown =
        "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";

    public static TheoryData<string> ValidHeaders => new()
    {
        Ascii("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n"),
        Ascii("PROXY TCP6 2001:db8::1 ::1 65535 0\r\n"),
        Ascii("PROXY UNKNOWN\r\n"),
        Ascii(LongestUnknown),
        Hex(V2(0x21, 0x11, [192, 168, 0, 1, 192, 168, 0, 11, 0xDC, 0x04, 0x01, 0xBB])),
        Hex(V2(0x21, 0x21, [.. Ipv6(1), .. Ipv6(2), 0x30, 0x39, 0x01, 0xBB], Tlvs())),
        Hex(V2(0x20, 0x00, [])),
    };

    [Fact]
    public void V1Tcp4IsParsedAndPayloadIsLeftAlone()
    {
        byte[] line = Encoding.ASCII.GetBytes("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n");
        var header = AssertComplete(line);

        Assert.Equal(new ProxyHeader(1, false, Endpoint("192.168.0.1", 56324), Endpoint("192.168.0.11", 443), line.Length), header);
    }

    [Fact]
    public void V1Tcp6IsParsed()
    {
        byte[] line = Encoding.ASCII.GetBytes("PROXY TCP6 2001:db8::1 ::ffff:10.0.0.1 65535 0\r\n");
        var header = AssertComplete(line);

        Assert.Equal(Endpoint("2001:db8::1", 65535), header.Source);
        Assert.Equal(Endpoint("::ffff:10.0.0.1", 0), header.Destination);
        Assert.False(header.IsLocal);
        Assert.Equal(line.Length, header.Length);
    }

    [Theory]
    [InlineData("PROXY UNKNOWN\r\n")]
    [InlineData("PROXY UNKNOWN 1.2.3.4 garbage anything at all\r\n")]
    [InlineData(LongestUnknown)]
    public void V1UnknownIsLocal(string text)
    {
        byte[] line = Encoding.ASCII.GetBytes(text);
        Assert.True(line.Length <= 107);
        Assert.Equal(new ProxyHeader(1, true, null, null, line.Length), AssertComplete(line));
    }

    [Fact]
    public void V1LineOfExactly107BytesIsAcceptedAnd108IsInvalid()
    {
        Assert.Equal(107, LongestUnknown.Length);
        string tooLong = LongestUnknown.Replace("65535 65535", "65535 655355", StringComparison.Ordinal);
        Assert.Equal(ProxyHeaderParseStatus.Invalid, Parse(Encoding.ASCII.GetBytes(tooLong), out _));
    }

    [Fact]
    public void V1LineWithoutCrlfIsIncompleteUntil107BytesThenInvalid()
    {
        byte[] line = Encoding.ASCII.GetBytes("PROXY UNKNOWN " + new string('a', 200));
        for (int length = 6; length <= 105; length++)
        {
            Assert.Equal(ProxyHeaderParseStatus.Incomplete, Parse(line[..length], out _));
        }

        for (int length = 106; length <= line.Length; length++)
        {
            Assert.Equal(ProxyHeaderParseStatus.Invalid, Parse(line[..length], out _));
        }
    }

    [Fact]
    public void V1LongerThanMaxBytesIsTooLarge()
    {
        byte[] line = Encoding.ASCII.GetBytes("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n");
        Assert.Equal(ProxyHeaderParseStatus.TooLarge, ProxyProtocolReader.TryParse(new ReadOnlySequence<byte>(line), 30, out _));
        Assert.Equal(ProxyHeaderParseStatus.TooLarge, ProxyProtocolReader.TryParse(new ReadOnlySequence<byte>(line[..31]), 30, out _));
        Assert.Equal(ProxyHeaderParseStatus.Complete, ProxyProtocolReader.TryParse(new ReadOnlySequence<byte>(line), line.Length, out _));
        Assert.Equal(ProxyHeaderParseStatus.TooLarge, ProxyProtocolReader.TryParse(new ReadOnlySequence<byte>(line), line.Length - 1, out _));
    }

    [Theory]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 70000 443\r\n")]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 65536 443\r\n")]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 -1 443\r\n")]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 01x 443\r\n")]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 +80 443\r\n")]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 080 443\r\n")]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 80 4430000\r\n")]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 80 \r\n")]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 80 443 \r\n")]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 80 443 22\r\n")]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 80\r\n")]
    [InlineData("PROXY TCP4 192.168.0.1  192.168.0.11 80 443\r\n")]
    [InlineData("PROXY  TCP4 192.168.0.1 192.168.0.11 80 443\r\n")]
    [InlineData("PROXY TCP4 ::1 ::1 80 443\r\n")]
    [InlineData("PROXY TCP4 1.2.3 1.2.3.4 80 443\r\n")]
    [InlineData("PROXY TCP4 1.2.3.4.5 1.2.3.4 80 443\r\n")]
    [InlineData("PROXY TCP4 256.1.1.1 1.2.3.4 80 443\r\n")]
    [InlineData("PROXY TCP4 01.2.3.4 1.2.3.4 80 443\r\n")]
    [InlineData("PROXY TCP4 127.1 1.2.3.4 80 443\r\n")]
    [InlineData("PROXY TCP4 0x7f.0.0.1 1.2.3.4 80 443\r\n")]
    [InlineData("PROXY TCP4 1..3.4 1.2.3.4 80 443\r\n")]
    [InlineData("PROXY TCP4 1.2.3.4. 1.2.3.4 80 443\r\n")]
    [InlineData("PROXY TCP6 1.2.3.4 ::1 80 443\r\n")]
    [InlineData("PROXY TCP6 [::1] ::1 80 443\r\n")]
    [InlineData("PROXY TCP6 fe80::1%eth0 ::1 80 443\r\n")]
    [InlineData("PROXY TCP6 ::g ::1 80 443\r\n")]
    [InlineData("PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 80 443\r\n")]
    [InlineData("PROXY TCP5 1.2.3.4 1.2.3.4 80 443\r\n")]
    [InlineData("PROXY tcp4 1.2.3.4 1.2.3.4 80 443\r\n")]
    [InlineData("PROXY UNKNOWNX\r\n")]
    [InlineData("PROXY \r\n")]
    [InlineData("PROXY TCP4\r\n")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n")]
    public void BadV1LinesAreInvalid(string text)
    {
        byte[] bytes = Encoding.ASCII.GetBytes(text);
        Assert.Equal(ProxyHeaderParseStatus.Invalid, Parse(bytes, out var header));
        Assert.Equal(default, header);
        Assert.Equal(ProxyHeaderParseStatus.Invalid, Parse(SequenceFactory.OneByteSegments(bytes), out _));
    }

    [Fact]
    public void V2Tcp4WithTlvsIsParsedAndTlvsAreSkipped()
    {
        byte[] header = V2(0x21, 0x11, [192, 168, 0, 1, 192, 168, 0, 11, 0xDC, 0x04, 0x01, 0xBB], Tlvs());
        var parsed = AssertComplete(header);

        Assert.Equal(new ProxyHeader(2, false, Endpoint("192.168.0.1", 56324), Endpoint("192.168.0.11", 443), header.Length), parsed);
        Assert.Equal(16 + 12 + Tlvs().Length, parsed.Length);
    }

    [Fact]
    public void V2Tcp6AndUdpAreParsed()
    {
        byte[] tcp6 = V2(0x21, 0x21, [.. Ipv6(1), .. Ipv6(2), 0x30, 0x39, 0x01, 0xBB], Tlvs());
        var parsed = AssertComplete(tcp6);
        Assert.Equal(new IPEndPoint(new IPAddress(Ipv6(1)), 12345), parsed.Source);
        Assert.Equal(new IPEndPoint(new IPAddress(Ipv6(2)), 443), parsed.Destination);
        Assert.Equal(tcp6.Length, parsed.Length);

        byte[] udp4 = V2(0x21, 0x12, [10, 0, 0, 1, 10, 0, 0, 2, 0, 53, 0, 53]);
        Assert.Equal(Endpoint("10.0.0.1", 53), AssertComplete(udp4).Source);
    }

    [Fact]
    public void V2LocalIsLocalWithoutAddressesEvenWithAnAddressBlock()
    {
        byte[] bare = V2(0x20, 0x00, []);
        Assert.Equal(new ProxyHeader(2, true, null, null, 16), AssertComplete(bare));

        byte[] withBlock = V2(0x20, 0x11, [1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2], Tlvs());
        Assert.Equal(new ProxyHeader(2, true, null, null, withBlock.Length), AssertComplete(withBlock));

        byte[] oddFamily = V2(0x20, 0x77, [1, 2, 3]);
        Assert.Equal(new ProxyHeader(2, true, null, null, oddFamily.Length), AssertComplete(oddFamily));
    }

    [Fact]
    public void V2UnspecAndUnixAreLocal()
    {
        byte[] unspec = V2(0x21, 0x00, [], Tlvs());
        Assert.Equal(new ProxyHeader(2, true, null, null, unspec.Length), AssertComplete(unspec));

        byte[] unix = V2(0x21, 0x31, new byte[216]);
        Assert.Equal(new ProxyHeader(2, true, null, null, 16 + 216), AssertComplete(unix));
        Assert.True(AssertComplete(V2(0x21, 0x32, new byte[216])).IsLocal);
    }

    [Theory]
    [InlineData(0x11, 0x11)] // version 1
    [InlineData(0x31, 0x11)] // version 3
    [InlineData(0x01, 0x11)] // version 0
    [InlineData(0x22, 0x11)] // command 2
    [InlineData(0x2F, 0x11)] // command 15
    [InlineData(0x21, 0x13)] // transport 3
    [InlineData(0x21, 0x41)] // family 4
    [InlineData(0x21, 0x10)] // AF_INET, UNSPEC transport
    [InlineData(0x21, 0x01)] // UNSPEC family, STREAM
    public void BadV2VersionCommandOrFamilyIsInvalidAsSoonAsTheByteArrives(byte versionCommand, byte family)
    {
        byte[] header = V2(versionCommand, family, new byte[36]);
        bool versionOrCommandBad = versionCommand >> 4 != 2 || (versionCommand & 0xF) > 1;
        Assert.Equal(ProxyHeaderParseStatus.Invalid, Parse(header[..(versionOrCommandBad ? 13 : 14)], out _));
        Assert.Equal(ProxyHeaderParseStatus.Invalid, Parse(header, out _));
    }

    [Theory]
    [InlineData(0x11, 11)]
    [InlineData(0x12, 0)]
    [InlineData(0x21, 35)]
    [InlineData(0x21, 12)]
    [InlineData(0x31, 215)]
    public void V2LengthShorterThanTheAddressBlockIsInvalid(byte family, int length)
    {
        byte[] header = V2(0x21, family, new byte[length]);
        Assert.Equal(ProxyHeaderParseStatus.Invalid, Parse(header[..16], out _));
    }

    [Fact]
    public void V2DeclaredLengthOverMaxBytesIsTooLargeWithOnly16Bytes()
    {
        byte[] fixedPart = [.. Signature, 0x21, 0x11, 0xFF, 0xFF];
        Assert.Equal(ProxyHeaderParseStatus.TooLarge, Parse(fixedPart, out _));
        Assert.Equal(ProxyHeaderParseStatus.TooLarge, Parse(SequenceFactory.OneByteSegments(fixedPart), out _));

        byte[] exact = [.. Signature, 0x21, 0x11, 0x00, 0x0C];
        Assert.Equal(ProxyHeaderParseStatus.TooLarge, ProxyProtocolReader.TryParse(new ReadOnlySequence<byte>(exact), 27, out _));
        Assert.Equal(ProxyHeaderParseStatus.Incomplete, ProxyProtocolReader.TryParse(new ReadOnlySequence<byte>(exact), 28, out _));
    }

    [Theory]
    [InlineData("G", 0)]
    [InlineData("GET / HTTP/1.1\r\n", 0)]
    [InlineData("SSH-2.0-x\r\n", 0)]
    [InlineData("\x16\x03\x01", 0)]
    [InlineData("\n", 0)]
    [InlineData("proxy ", 0)]
    [InlineData("PROXX", 4)]
    [InlineData("PROXYTCP4", 5)]
    [InlineData("\r\n\r\nX", 4)]
    [InlineData("\r\n\r\n\0\r\nQUIT\r", 11)]
    public void OtherProtocolsAreNotProxyProtocolAtTheFirstMismatch(string text, int mismatch)
    {
        byte[] bytes = Encoding.Latin1.GetBytes(text);
        for (int length = 0; length <= bytes.Length; length++)
        {
            var expected = length > mismatch ? ProxyHeaderParseStatus.NotProxyProtocol : ProxyHeaderParseStatus.Incomplete;
            Assert.Equal(expected, Parse(bytes[..length], out _));
            Assert.Equal(expected, Parse(SequenceFactory.OneByteSegments(bytes[..length]), out _));
        }
    }

    [Theory]
    [MemberData(nameof(ValidHeaders))]
    public void EverySplitAndOneByteSegmentsGiveTheSameHeader(string hex)
    {
        byte[] header = Convert.FromHexString(hex);
        byte[] bytes = [.. header, .. Payload];
        var expected = AssertComplete(header);

        for (int cut = 0; cut <= bytes.Length; cut++)
        {
            Assert.Equal(ProxyHeaderParseStatus.Complete, Parse(SequenceFactory.Split(bytes, cut), out var split));
            Assert.Equal(expected, split);
        }

        Assert.Equal(ProxyHeaderParseStatus.Complete, Parse(SequenceFactory.OneByteSegments(bytes), out var oneByte));
        Assert.Equal(expected, oneByte);
    }

    [Theory]
    [MemberData(nameof(ValidHeaders))]
    public void EveryTruncationIsIncomplete(string hex)
    {
        byte[] header = Convert.FromHexString(hex);
        for (int length = 0; length < header.Length; length++)
        {
            Assert.Equal(ProxyHeaderParseStatus.Incomplete, Parse(header[..length], out var partial));
            Assert.Equal(default, partial);
            Assert.Equal(ProxyHeaderParseStatus.Incomplete, Parse(SequenceFactory.OneByteSegments(header[..length]), out _));
        }
    }

    [Fact]
    public void RandomBytesNeverThrowAndNeverCompleteBeyondTheBuffer()
    {
        var random = new Random(4242);
        byte[][] prefixes = [[], "PROXY "u8.ToArray(), "PROXY TCP4 "u8.ToArray(), "PROXY TCP6 "u8.ToArray(), Signature, [.. Signature, 0x21]];
        for (int i = 0; i < 30000; i++)
        {
            byte[] prefix = prefixes[i % prefixes.Length];
            var bytes = new byte[prefix.Length + random.Next(0, 140)];
            random.NextBytes(bytes);
            prefix.CopyTo(bytes, 0);
            if (i % 5 == 0)
            {
                // Mostly text, so v1 gets past its first checks now and then.
                for (int j = prefix.Length; j < bytes.Length; j++)
                {
                    bytes[j] = (byte)"0123456789.: abcdefTCP\r\n"[random.Next(24)];
                }
            }

            var status = ProxyProtocolReader.TryParse(SequenceFactory.Split(bytes, random.Next(bytes.Length + 1)), random.Next(0, 300), out var header);
            Assert.True(Enum.IsDefined(status));
            if (status == ProxyHeaderParseStatus.Complete)
            {
                Assert.InRange(header.Length, 1, bytes.Length);
            }
            else
            {
                Assert.Equal(default, header);
            }
        }
    }

    [Fact]
    public void NonCompletePathsDoNotAllocate()
    {
        byte[] v1 = Encoding.ASCII.GetBytes("PROXY TCP6 2001:db8::1 ::1 65535 0\r\n");
        byte[] v2 = V2(0x21, 0x21, new byte[36], Tlvs());
        ReadOnlySequence<byte>[] inputs =
        [
            SequenceFactory.OneByteSegments(v1[..^1]),
            SequenceFactory.Split(v2[..^1], 5, 14),
            new ReadOnlySequence<byte>("GET / HTTP/1.1"u8.ToArray()),
            new ReadOnlySequence<byte>("PROXY TCP4 ::1 ::1 1 2\r\n"u8.ToArray()),
            new ReadOnlySequence<byte>([.. Signature, 0x21, 0x11, 0xFF, 0xFF]),
        ];
        var (anyComplete, allocated) = Allocations.Measure(() => ParseAll(inputs));
        Assert.False(anyComplete);
        Assert.Equal(0, allocated);

        // Asserting inside the measured region would count xunit's own allocations.
        static bool ParseAll(ReadOnlySequence<byte>[] inputs)
        {
            bool anyComplete = false;
            foreach (var input in inputs)
            {
                anyComplete |= ProxyProtocolReader.TryParse(input, MaxBytes, out _) == ProxyHeaderParseStatus.Complete;
            }

            return anyComplete;
        }
    }

    private static ProxyHeaderParseStatus Parse(byte[] bytes, out ProxyHeader header) =>
        ProxyProtocolReader.TryParse(new ReadOnlySequence<byte>(bytes), MaxBytes, out header);

    private static ProxyHeaderParseStatus Parse(ReadOnlySequence<byte> sequence, out ProxyHeader header) =>
        ProxyProtocolReader.TryParse(sequence, MaxBytes, out header);

    // Parses the header followed by payload bytes and checks that exactly the header is claimed.
    private static ProxyHeader AssertComplete(byte[] headerBytes)
    {
        byte[] bytes = [.. headerBytes, .. Payload];
        Assert.Equal(ProxyHeaderParseStatus.Complete, Parse(bytes, out var header));
        Assert.Equal(headerBytes.Length, header.Length);
        Assert.Equal(Payload, bytes[header.Length..]);
        return header;
    }

    private static IPEndPoint Endpoint(string address, int port) => new(IPAddress.Parse(address), port);

    private static byte[] Ipv6(byte last) => [0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last];

    // A NOOP TLV (§2.2.6) and an AWS VPC endpoint TLV (type 0xEA, subtype 0x01), both to be skipped.
    private static byte[] Tlvs() => [0x04, 0x00, 0x03, 0, 0, 0, 0xEA, 0x00, 0x0B, 0x01, .. "vpce-0123a"u8];

    internal static byte[] V2(byte versionCommand, byte family, byte[] addresses, byte[]? tlvs = null)
    {
        tlvs ??= [];
        int length = addresses.Length + tlvs.Length;
        return [.. Signature, versionCommand, family, (byte)(length >> 8), (byte)length, .. addresses, .. tlvs];
    }

    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes);

    private static string Ascii(string text) => Hex(Encoding.ASCII.GetBytes(text));
}
