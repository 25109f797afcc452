using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Proxy.Tests.Buffers;
using Proxy.Tls;
using Proxy.Tests.Infrastructure;
using Xunit;

namespace Proxy.Tests.Tls;

public sealed class ClientHelloParserTests : IClassFixture<RealClientHelloFixture>
{
    private const int MaxBytes = 64 * 1024;
    private readonly byte[] real;

    public ClientHelloParserTests(RealClientHelloFixture fixture)
    {
        ArgumentNullException.ThrowIfNull(fixture);
        real = fixture.Bytes;
    }

    [Fact]
    public void RealSslStreamHelloYieldsSniAlpnVersionAndLength()
    {
        var info = AssertComplete(new ReadOnlySequence<byte>(real));

        Assert.Equal(RealClientHelloFixture.TargetHost, info.ServerName);
        Assert.Equal(["h2", "http/1.1"], info.ApplicationProtocols);
        Assert.Equal(0x0303, info.ClientVersion);
        Assert.Equal(real.Length, info.Length);
    }

    [Fact]
    public void RealHelloSplitAtEveryIndexIsComplete()
    {
        for (int cut = 0; cut <= real.Length; cut++)
        {
            var info = AssertComplete(SequenceFactory.Split(real, cut));
            Assert.Equal(RealClientHelloFixture.TargetHost, info.ServerName);
            Assert.Equal(["h2", "http/1.1"], info.ApplicationProtocols);
            Assert.Equal(real.Length, info.Length);
        }
    }

    [Fact]
    public void RealHelloInThreeSegmentsAtManyCutsIsComplete()
    {
        for (int first = 0; first <= real.Length; first += 7)
        {
            for (int second = first; second <= real.Length; second += 13)
            {
                Assert.Equal(RealClientHelloFixture.TargetHost, AssertComplete(SequenceFactory.Split(real, first, second)).ServerName);
            }
        }
    }

    [Fact]
    public void RealHelloInOneByteSegmentsIsComplete()
    {
        var info = AssertComplete(SequenceFactory.OneByteSegments(real));
        Assert.Equal(RealClientHelloFixture.TargetHost, info.ServerName);
        Assert.Equal(["h2", "http/1.1"], info.ApplicationProtocols);
    }

    [Fact]
    public void RealHelloEveryPrefixIsIncompleteContiguousAndOneByteSegments()
    {
        for (int length = 0; length < real.Length; length++)
        {
            byte[] prefix = real[..length];
            Assert.Equal(ClientHelloParseStatus.Incomplete, Parse(new ReadOnlySequence<byte>(prefix), out var info));
            Assert.Null(info);
            Assert.Equal(ClientHelloParseStatus.Incomplete, Parse(SequenceFactory.OneByteSegments(prefix), out _));
        }
    }

    [Fact]
    public void RealHelloFollowedByMoreBytesReportsOnlyTheHelloLength()
    {
        byte[] withTail = [.. real, 0x17, 0x03, 0x03, 0x00, 0x01, 0xAA];
        Assert.Equal(real.Length, AssertComplete(new ReadOnlySequence<byte>(withTail)).Length);
    }

    [Fact]
    public void RealHelloMaxBytesOneShortIsTooLargeAndExactFitIsComplete()
    {
        var sequence = new ReadOnlySequence<byte>(real);
        Assert.Equal(ClientHelloParseStatus.TooLarge, ClientHelloParser.TryParse(sequence, real.Length - 1, out _));
        Assert.Equal(ClientHelloParseStatus.Complete, ClientHelloParser.TryParse(sequence, real.Length, out _));
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(4096)]
    [InlineData(16384)]
    public void LargeHelloOverFourKiBAcrossSeveralRecordsIsComplete(int fragment)
    {
        var builder = new ClientHelloBuilder { ServerName = "big.example.test", PaddingLength = 9000 };
        builder.Protocols.Add("h2");
        byte[] records = builder.Build(fragment);

        var info = AssertComplete(new ReadOnlySequence<byte>(records));
        Assert.Equal("big.example.test", info.ServerName);
        Assert.Equal(["h2"], info.ApplicationProtocols);
        Assert.Equal(records.Length, info.Length);
        Assert.Equal("big.example.test", AssertComplete(SequenceFactory.OneByteSegments(records)).ServerName);
    }

    [Fact]
    public void LargeFragmentedHelloEverySplitAndEveryPrefix()
    {
        var builder = new ClientHelloBuilder { ServerName = "frag.example.test", PaddingLength = 4500 };
        byte[] records = builder.Build(1500);
        Assert.True(records.Length > 4096);

        for (int cut = 0; cut <= records.Length; cut++)
        {
            Assert.Equal("frag.example.test", AssertComplete(SequenceFactory.Split(records, cut)).ServerName);
            if (cut < records.Length)
            {
                Assert.Equal(ClientHelloParseStatus.Incomplete, Parse(SequenceFactory.Split(records[..cut], cut / 2), out _));
            }
        }
    }

    [Fact]
    public void HandshakeHeaderSplitAcrossRecordsIsReassembled()
    {
        byte[] handshake = new ClientHelloBuilder { ServerName = "split.example.test" }.BuildHandshake();
        byte[] records = ClientHelloBuilder.ToRecords(handshake, [1, 2, 1, handshake.Length - 4]);
        Assert.Equal("split.example.test", AssertComplete(new ReadOnlySequence<byte>(records)).ServerName);
        for (int length = 0; length < records.Length; length++)
        {
            Assert.Equal(ClientHelloParseStatus.Incomplete, Parse(new ReadOnlySequence<byte>(records[..length]), out _));
        }
    }

    [Fact]
    public void HugeDeclaredRecordLengthWithOnlyTheHeaderIsTooLarge()
    {
        byte[] header = [0x16, 0x03, 0x01, 0x40, 0x00];
        Assert.Equal(ClientHelloParseStatus.TooLarge, ClientHelloParser.TryParse(new ReadOnlySequence<byte>(header), 1024, out _));
        Assert.Equal(ClientHelloParseStatus.Incomplete, ClientHelloParser.TryParse(new ReadOnlySequence<byte>(header), 16389, out _));
    }

    [Fact]
    public void HugeDeclaredHandshakeLengthWithFewBytesIsTooLarge()
    {
        // A small first record whose handshake header promises 16 MiB.
        byte[] bytes = [0x16, 0x03, 0x01, 0x00, 0x10, 0x01, 0xFF, 0xFF, 0xFF];
        Assert.Equal(ClientHelloParseStatus.TooLarge, ClientHelloParser.TryParse(new ReadOnlySequence<byte>(bytes), MaxBytes, out _));
        Assert.Equal(ClientHelloParseStatus.TooLarge, ClientHelloParser.TryParse(SequenceFactory.OneByteSegments(bytes), MaxBytes, out _));
    }

    [Fact]
    public void FragmentedHelloNeedingMoreThanMaxBytesIsTooLargeFromFirstRecord()
    {
        byte[] records = new ClientHelloBuilder { PaddingLength = 20000 }.Build(512);
        Assert.Equal(ClientHelloParseStatus.TooLarge, ClientHelloParser.TryParse(new ReadOnlySequence<byte>(records[..600]), 8192, out _));
        Assert.Equal(ClientHelloParseStatus.Complete, ClientHelloParser.TryParse(new ReadOnlySequence<byte>(records), records.Length, out _));
        Assert.Equal(ClientHelloParseStatus.TooLarge, ClientHelloParser.TryParse(new ReadOnlySequence<byte>(records), records.Length - 1, out _));
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("SSH-2.0-OpenSSH_9.6\r\n")]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n")]
    [InlineData("\r\n\r\n\0\r\nQUIT\n")]
    public void PlainTextClientsAreNotTlsAfterTheFirstByte(string text)
    {
        byte[] bytes = Encoding.ASCII.GetBytes(text);
        Assert.Equal(ClientHelloParseStatus.NotTls, Parse(new ReadOnlySequence<byte>(bytes, 0, 1), out _));
        Assert.Equal(ClientHelloParseStatus.NotTls, Parse(new ReadOnlySequence<byte>(bytes), out _));
        Assert.Equal(ClientHelloParseStatus.NotTls, Parse(SequenceFactory.OneByteSegments(bytes), out _));
    }

    [Fact]
    public void HandshakeByteWithWrongMajorVersionIsNotTlsAfterTwoBytes()
    {
        Assert.Equal(ClientHelloParseStatus.Incomplete, Parse(new ReadOnlySequence<byte>([0x16]), out _));
        Assert.Equal(ClientHelloParseStatus.NotTls, Parse(new ReadOnlySequence<byte>([0x16, 0x02]), out _));
        Assert.Equal(ClientHelloParseStatus.Incomplete, Parse(new ReadOnlySequence<byte>([0x16, 0x03]), out _));
        Assert.Equal(ClientHelloParseStatus.NotTls, Parse(new ReadOnlySequence<byte>([0x80, 0x2E, 0x01]), out _)); // SSLv2 hello
    }

    [Fact]
    public void EmptyBufferIsIncomplete()
    {
        Assert.Equal(ClientHelloParseStatus.Incomplete, Parse(ReadOnlySequence<byte>.Empty, out var info));
        Assert.Null(info);
    }

    [Fact]
    public void NoSniIsCompleteWithNullServerNameAndNoAlpnIsEmptyList()
    {
        var info = AssertComplete(new ReadOnlySequence<byte>(new ClientHelloBuilder().Build()));
        Assert.Null(info.ServerName);
        Assert.Empty(info.ApplicationProtocols);
    }

    [Fact]
    public void HelloWithoutExtensionBlockIsComplete()
    {
        var info = AssertComplete(new ReadOnlySequence<byte>(new ClientHelloBuilder { OmitExtensionBlock = true, LegacyVersion = 0x0301 }.Build()));
        Assert.Null(info.ServerName);
        Assert.Empty(info.ApplicationProtocols);
        Assert.Equal(0x0301, info.ClientVersion);
    }

    [Fact]
    public void UppercaseSniIsLowerCased()
    {
        Assert.Equal("db.example.test", AssertComplete(Build(new ClientHelloBuilder { ServerName = "DB.Example.TEST" })).ServerName);
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("_acme-challenge.example.com")]
    [InlineData("xn--bcher-kva.example")]
    [InlineData("10.0.0.1")]
    public void ValidSniNamesAreAccepted(string host)
    {
        Assert.Equal(host, AssertComplete(Build(new ClientHelloBuilder { ServerName = host })).ServerName);
    }

    [Fact]
    public void SniAtLengthLimitsIsAccepted()
    {
        string label63 = new('a', 63);
        string name255 = $"{label63}.{label63}.{label63}.{new string('b', 63)}";
        Assert.Equal(255, name255.Length);
        Assert.Equal(name255, AssertComplete(Build(new ClientHelloBuilder { ServerName = name255 })).ServerName);
    }

    [Theory]
    [InlineData("bad name")]
    [InlineData("bad!name.test")]
    [InlineData("a..b")]
    [InlineData(".leading.dot")]
    [InlineData("trailing.dot.")]
    [InlineData("caf\u00e9.test")]
    [InlineData("nul\0.test")]
    public void BadSniNamesAreInvalid(string host)
    {
        var builder = new ClientHelloBuilder();
        builder.ExtraExtensions.Add((0, SniDataRaw(0, Encoding.Latin1.GetBytes(host))));
        AssertInvalid(builder);
    }

    [Fact]
    public void SniLabelOver63OrNameOver255IsInvalid()
    {
        AssertInvalid(new ClientHelloBuilder { ServerName = new string('a', 64) + ".test" });
        string label = new('a', 63);
        AssertInvalid(new ClientHelloBuilder { ServerName = $"{label}.{label}.{label}.{label}.a" });
    }

    [Fact]
    public void EmptyHostNameIsInvalid()
    {
        var builder = new ClientHelloBuilder();
        builder.ExtraExtensions.Add((0, SniDataRaw(0, [])));
        AssertInvalid(builder);
    }

    [Fact]
    public void SniWithUnknownNameTypeFirstUsesTheHostNameAndOnlyTheFirstHostName()
    {
        byte[] other = SniEntry(7, [0xDE, 0xAD]);
        byte[] first = SniEntry(0, "first.test"u8.ToArray());
        byte[] second = SniEntry(0, "second.test"u8.ToArray());
        var builder = new ClientHelloBuilder();
        builder.ExtraExtensions.Add((0, WithUInt16Length([.. other, .. first, .. second])));
        Assert.Equal("first.test", AssertComplete(Build(builder)).ServerName);
    }

    [Theory]
    [InlineData(new byte[] { })] // no server_name_list at all
    [InlineData(new byte[] { 0x00, 0x00 })] // empty list
    [InlineData(new byte[] { 0x00, 0x06, 0x00, 0x00, 0x02, (byte)'a', (byte)'b' })] // list longer than the extension
    [InlineData(new byte[] { 0x00, 0x04, 0x00, 0x00, 0x02, (byte)'a', (byte)'b' })] // list too short (overlaps entry)
    [InlineData(new byte[] { 0x00, 0x05, 0x00, 0x00, 0x03, (byte)'a', (byte)'b' })] // host_name longer than list
    [InlineData(new byte[] { 0x00, 0x02, 0x00, 0x00 })] // truncated host_name length
    [InlineData(new byte[] { 0x00, 0x05, 0x00, 0x00, 0x02, (byte)'a', (byte)'b', 0x00 })] // bytes after the list
    public void MalformedServerNameExtensionIsInvalid(byte[] data)
    {
        var builder = new ClientHelloBuilder();
        builder.ExtraExtensions.Add((0, data));
        AssertInvalid(builder);
    }

    [Theory]
    [InlineData(new byte[] { })] // no list
    [InlineData(new byte[] { 0x00, 0x00 })] // empty list
    [InlineData(new byte[] { 0x00, 0x01, 0x00 })] // list of one empty name (and too short)
    [InlineData(new byte[] { 0x00, 0x04, 0x02, (byte)'h', (byte)'2', 0x00 })] // empty second name
    [InlineData(new byte[] { 0x00, 0x04, 0x05, (byte)'h', (byte)'2', (byte)'x' })] // name overruns list
    [InlineData(new byte[] { 0x00, 0x03, 0x02, (byte)'h', (byte)'2', 0x99 })] // byte after list
    public void MalformedAlpnExtensionIsInvalid(byte[] data)
    {
        var builder = new ClientHelloBuilder();
        builder.ExtraExtensions.Add((16, data));
        AssertInvalid(builder);
    }

    [Fact]
    public void AlpnNamesAreDecodedInOrder()
    {
        var builder = new ClientHelloBuilder();
        builder.Protocols.Add("acme-tls/1");
        builder.Protocols.Add("h3");
        builder.Protocols.Add("http/1.0");
        Assert.Equal(["acme-tls/1", "h3", "http/1.0"], AssertComplete(Build(builder)).ApplicationProtocols);
    }

    [Fact]
    public void DuplicateExtensionIsInvalid()
    {
        var builder = new ClientHelloBuilder { ServerName = "a.test" };
        builder.ExtraExtensions.Add((0, ClientHelloBuilder.SniData("b.test")));
        AssertInvalid(builder);

        var unknownTwice = new ClientHelloBuilder();
        unknownTwice.ExtraExtensions.Add((0xFE0D, [1]));
        unknownTwice.ExtraExtensions.Add((0xFE0D, [2]));
        AssertInvalid(unknownTwice);
    }

    [Fact]
    public void UnknownExtensionsAreSkipped()
    {
        var builder = new ClientHelloBuilder { ServerName = "skip.test" };
        builder.ExtraExtensions.Add((0x0A0A, []));
        builder.ExtraExtensions.Add((0xFFFF, new byte[300]));
        Assert.Equal("skip.test", AssertComplete(Build(builder)).ServerName);
    }

    [Fact]
    public void ExtensionLengthsThatDisagreeAreInvalid()
    {
        byte[] body = new ClientHelloBuilder { ServerName = "len.test" }.BuildBody();
        int extensionsAt = 2 + 32 + 1 + 32 + 2 + 6 + 1 + 1;
        int blockLength = BinaryPrimitives.ReadUInt16BigEndian(body.AsSpan(extensionsAt));

        AssertBodyInvalid(body, b => BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(extensionsAt), (ushort)(blockLength + 1)));
        AssertBodyInvalid(body, b => BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(extensionsAt), (ushort)(blockLength - 1)));
        AssertBodyInvalid(body, b => BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(extensionsAt + 4), 0xFFFF)); // SNI ext length
        AssertBodyInvalid(body, b => BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(extensionsAt + 4), (ushort)(blockLength - 3)));
        AssertBodyInvalid(body, b => b[extensionsAt + 1] = 1); // block of one byte: half an extension type
    }

    [Fact]
    public void BadFixedFieldsAreInvalid()
    {
        AssertInvalid(new ClientHelloBuilder { SessionId = new byte[33] });
        AssertInvalid(new ClientHelloBuilder { CipherSuites = [0x13] });
        AssertInvalid(new ClientHelloBuilder { CipherSuites = [0x13, 0x01, 0x13] });
        AssertInvalid(new ClientHelloBuilder { CipherSuites = [] });
        AssertInvalid(new ClientHelloBuilder { CompressionMethods = [] });
        AssertBodyInvalid(new byte[10], _ => { }); // shorter than version + random
        AssertBodyInvalid([], _ => { });
    }

    [Fact]
    public void WrongHandshakeTypeIsInvalidAsSoonAsTheTypeByteArrives()
    {
        byte[] records = new ClientHelloBuilder { HandshakeType = 2 }.Build();
        Assert.Equal(ClientHelloParseStatus.Invalid, Parse(new ReadOnlySequence<byte>(records[..6]), out _));
        Assert.Equal(ClientHelloParseStatus.Invalid, Parse(new ReadOnlySequence<byte>(records), out _));
    }

    [Fact]
    public void NonHandshakeRecordBeforeHelloIsCompleteIsInvalid()
    {
        byte[] handshake = new ClientHelloBuilder { ServerName = "x.test" }.BuildHandshake();
        byte[] first = ClientHelloBuilder.ToRecords(handshake[..20], 20);
        byte[] alert = ClientHelloBuilder.ToRecords(handshake[20..], handshake.Length - 20, contentType: 21);
        byte[] bytes = [.. first, .. alert];
        Assert.Equal(ClientHelloParseStatus.Invalid, Parse(new ReadOnlySequence<byte>(bytes[..(first.Length + 1)]), out _));
        Assert.Equal(ClientHelloParseStatus.Invalid, Parse(new ReadOnlySequence<byte>(bytes), out _));

        byte[] badVersion = [.. first, .. alert];
        badVersion[first.Length] = 0x16;
        badVersion[first.Length + 1] = 0x02;
        Assert.Equal(ClientHelloParseStatus.Invalid, Parse(new ReadOnlySequence<byte>(badVersion), out _));
    }

    [Fact]
    public void RecordLengthOverTwoToTheFourteenOrZeroIsInvalid()
    {
        Assert.Equal(ClientHelloParseStatus.Invalid, Parse(new ReadOnlySequence<byte>([0x16, 0x03, 0x01, 0x40, 0x01]), out _));
        Assert.Equal(ClientHelloParseStatus.Invalid, Parse(new ReadOnlySequence<byte>([0x16, 0x03, 0x01, 0x00, 0x00]), out _));

        byte[] handshake = new ClientHelloBuilder().BuildHandshake();
        byte[] withEmptyRecord = [.. ClientHelloBuilder.ToRecords(handshake[..10], 10), 0x16, 0x03, 0x01, 0x00, 0x00];
        Assert.Equal(ClientHelloParseStatus.Invalid, Parse(new ReadOnlySequence<byte>(withEmptyRecord), out _));
    }

    [Fact]
    public void HandshakeBytesBeyondTheHelloInItsRecordAreInvalid()
    {
        byte[] handshake = [.. new ClientHelloBuilder().BuildHandshake(), 0x00, 0x00, 0x00, 0x00];
        Assert.Equal(ClientHelloParseStatus.Invalid, Parse(new ReadOnlySequence<byte>(ClientHelloBuilder.ToRecords(handshake, 16384)), out _));
    }

    [Fact]
    public void TruncatedAtEveryPositionIsIncompleteForSyntheticHello()
    {
        var builder = new ClientHelloBuilder { ServerName = "trunc.example.test" };
        builder.Protocols.Add("h2");
        byte[] records = builder.Build(97);
        for (int length = 0; length < records.Length; length++)
        {
            Assert.Equal(ClientHelloParseStatus.Incomplete, Parse(SequenceFactory.OneByteSegments(records[..length]), out _));
        }
    }

    [Fact]
    public void RandomBytesNeverThrow()
    {
        var random = new Random(20240601);
        for (int i = 0; i < 20000; i++)
        {
            var bytes = new byte[random.Next(0, 300)];
            random.NextBytes(bytes);
            if (bytes.Length > 2 && i % 2 == 0)
            {
                bytes[0] = 0x16;
                bytes[1] = 0x03;
            }

            _ = ClientHelloParser.TryParse(SequenceFactory.Split(bytes, bytes.Length / 3), random.Next(0, 2000), out _);
        }
    }

    [Fact]
    public void MutatedRealHellosNeverThrowAndCompleteOnesAreConsistent()
    {
        var random = new Random(7);
        for (int i = 0; i < 5000; i++)
        {
            byte[] bytes = (byte[])real.Clone();
            for (int flips = random.Next(1, 4); flips > 0; flips--)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            int cut = random.Next(bytes.Length + 1);
            var status = ClientHelloParser.TryParse(SequenceFactory.Split(bytes, cut), MaxBytes, out var info);
            Assert.Equal(status == ClientHelloParseStatus.Complete, info is not null);
            if (info is not null)
            {
                Assert.InRange(info.Length, 1, bytes.Length);
            }
        }
    }

    [Fact]
    public void IncompleteNotTlsAndTooLargePathsDoNotAllocate()
    {
        byte[] fragmented = new ClientHelloBuilder { ServerName = "alloc.test", PaddingLength = 5000 }.Build(1000);
        ReadOnlySequence<byte>[] inputs =
        [
            SequenceFactory.Split(real[..^1], 3, 100),
            SequenceFactory.OneByteSegments(fragmented[..^10]),
            new ReadOnlySequence<byte>("GET / HTTP/1.1"u8.ToArray()),
            new ReadOnlySequence<byte>([0x16, 0x03, 0x01, 0x40, 0x00]),
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
                anyComplete |= ClientHelloParser.TryParse(input, 8192, out _) == ClientHelloParseStatus.Complete;
            }

            return anyComplete;
        }
    }

    private static ClientHelloParseStatus Parse(ReadOnlySequence<byte> sequence, out ClientHelloInfo? info) =>
        ClientHelloParser.TryParse(sequence, MaxBytes, out info);

    private static ReadOnlySequence<byte> Build(ClientHelloBuilder builder) => new(builder.Build());

    private static ClientHelloInfo AssertComplete(ReadOnlySequence<byte> sequence)
    {
        Assert.Equal(ClientHelloParseStatus.Complete, Parse(sequence, out var info));
        Assert.NotNull(info);
        return info;
    }

    private static void AssertInvalid(ClientHelloBuilder builder)
    {
        byte[] records = builder.Build();
        Assert.Equal(ClientHelloParseStatus.Invalid, Parse(new ReadOnlySequence<byte>(records), out var info));
        Assert.Null(info);
        Assert.Equal(ClientHelloParseStatus.Invalid, Parse(SequenceFactory.OneByteSegments(records), out _));
    }

    private static void AssertBodyInvalid(byte[] body, Action<byte[]> corrupt)
    {
        byte[] copy = (byte[])body.Clone();
        corrupt(copy);
        byte[] handshake = new byte[4 + copy.Length];
        handshake[0] = 1;
        handshake[1] = (byte)(copy.Length >> 16);
        handshake[2] = (byte)(copy.Length >> 8);
        handshake[3] = (byte)copy.Length;
        copy.CopyTo(handshake, 4);
        byte[] records = ClientHelloBuilder.ToRecords(handshake, 16384);
        Assert.Equal(ClientHelloParseStatus.Invalid, Parse(new ReadOnlySequence<byte>(records), out _));
        Assert.Equal(ClientHelloParseStatus.Invalid, Parse(SequenceFactory.Split(records, records.Length / 2), out _));
    }

    private static byte[] SniEntry(byte nameType, byte[] name) => [nameType, (byte)(name.Length >> 8), (byte)name.Length, .. name];

    private static byte[] SniDataRaw(byte nameType, byte[] name) => WithUInt16Length(SniEntry(nameType, name));

    private static byte[] WithUInt16Length(byte[] data) => [(byte)(data.Length >> 8), (byte)data.Length, .. data];
}
