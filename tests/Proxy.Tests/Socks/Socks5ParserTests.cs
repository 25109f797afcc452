using System.Buffers;
using System.Net;
using System.Text;
using Proxy.Connections;
using Proxy.Socks;
using Proxy.Tests.Buffers;

namespace Proxy.Tests.Socks;

/// <summary>The pure SOCKS5 message parsers over any segmentation (greeting, RFC 1929 credentials, request), their
/// refusals, and the reply's byte layout.</summary>
public sealed class Socks5ParserTests
{
    private static readonly byte[] Greeting = [0x05, 0x02, 0x00, 0x02];
    private static readonly byte[] Credentials = [0x01, 0x04, .. "user"u8, 0x06, .. "secret"u8];
    private static readonly byte[] RequestV4 = [0x05, 0x01, 0x00, 0x01, 10, 1, 2, 3, 0x01, 0xBB];
    private static readonly byte[] RequestV6 = [0x05, 0x01, 0x00, 0x04, 0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00, 0x16];
    private static readonly byte[] RequestDomain = [0x05, 0x01, 0x00, 0x03, 11, .. "example.com"u8, 0x00, 0x50];

    /// <summary>Bytes a client might pipeline after a message (the next message, or the first payload bytes).</summary>
    private static readonly byte[] Trailing = [0x16, 0x03, 0x01, 0x05, 0x01];

    private static HandshakeStep Greet(ReadOnlySequence<byte> buffer, out byte[] methods, out int consumed)
        => Socks5Parser.TryParseGreeting(buffer, out methods, out consumed);

    private static HandshakeStep Authenticate(ReadOnlySequence<byte> buffer, out (string User, string Password) credentials, out int consumed)
        => Socks5Parser.TryParseCredentials(buffer, out credentials, out consumed);

    private static HandshakeStep Request(ReadOnlySequence<byte> buffer, out Socks5Request? request, out int consumed)
        => Socks5Parser.TryParseRequest(buffer, out request, out consumed);

    private static ReadOnlySequence<byte> Bytes(byte[] data) => new(data);

    /// <summary>Every way of cutting <paramref name="data"/> into one, two or three segments, and one byte per segment.</summary>
    private static IEnumerable<ReadOnlySequence<byte>> Segmentations(byte[] data)
    {
        yield return Bytes(data);
        yield return SequenceFactory.OneByteSegments(data);
        for (var first = 0; first <= data.Length; first++)
        {
            for (var second = first; second <= data.Length; second++)
            {
                yield return SequenceFactory.Split(data, first, second);
            }
        }
    }

    // ---- Greeting ----------------------------------------------------------------------------------------------

    [Fact]
    public void Greeting_yields_the_offered_methods_and_consumes_exactly_the_greeting_in_every_segmentation()
    {
        foreach (var buffer in Segmentations([.. Greeting, .. Trailing]))
        {
            Assert.Equal(HandshakeStep.Done, Greet(buffer, out var methods, out var consumed));
            Assert.Equal(new byte[] { 0x00, 0x02 }, methods);
            Assert.Equal(Greeting.Length, consumed);
        }
    }

    [Fact]
    public void Greeting_with_all_255_methods_is_accepted()
    {
        byte[] greeting = [0x05, 0xFF, .. Enumerable.Range(0, 255).Select(i => (byte)i)];

        Assert.Equal(HandshakeStep.Done, Greet(SequenceFactory.Split(greeting, 100, 200), out var methods, out var consumed));
        Assert.Equal(255, methods.Length);
        Assert.Equal(257, consumed);
    }

    [Fact]
    public void Every_truncation_of_the_greeting_needs_more_in_every_segmentation()
    {
        for (var length = 0; length < Greeting.Length; length++)
        {
            foreach (var buffer in Segmentations(Greeting[..length]))
            {
                Assert.Equal(HandshakeStep.NeedMore, Greet(buffer, out _, out var consumed));
                Assert.Equal(0, consumed);
            }
        }
    }

    [Theory]
    [InlineData(new byte[] { 0x04 })] // SOCKS4, decided on the first byte
    [InlineData(new byte[] { 0x04, 0x01, 0x00, 0x50, 0x7F, 0x00, 0x00, 0x01, 0x00 })]
    [InlineData(new byte[] { (byte)'G', (byte)'E', (byte)'T', (byte)' ' })]
    [InlineData(new byte[] { 0x16, 0x03, 0x01 })] // TLS
    [InlineData(new byte[] { 0x00 })]
    [InlineData(new byte[] { 0x05, 0x00 })] // no methods
    [InlineData(new byte[] { 0x05, 0x00, 0x00 })]
    public void Greeting_with_a_bad_version_or_no_methods_fails(byte[] data)
    {
        foreach (var buffer in Segmentations(data))
        {
            Assert.Equal(HandshakeStep.Failed, Greet(buffer, out _, out var consumed));
            Assert.Equal(0, consumed);
        }
    }

    // ---- RFC 1929 credentials ----------------------------------------------------------------------------------

    [Fact]
    public void Credentials_yield_user_and_password_and_consume_exactly_the_message_in_every_segmentation()
    {
        foreach (var buffer in Segmentations([.. Credentials, .. Trailing]))
        {
            Assert.Equal(HandshakeStep.Done, Authenticate(buffer, out var credentials, out var consumed));
            Assert.Equal(("user", "secret"), credentials);
            Assert.Equal(Credentials.Length, consumed);
        }
    }

    [Fact]
    public void Credentials_of_255_bytes_each_and_utf8_text_are_accepted()
    {
        var user = new string('u', 255);
        var password = new string('p', 255);
        byte[] longest = [0x01, 0xFF, .. Encoding.ASCII.GetBytes(user), 0xFF, .. Encoding.ASCII.GetBytes(password)];
        Assert.Equal(HandshakeStep.Done, Authenticate(SequenceFactory.Split(longest, 1, 2, 257, 258), out var credentials, out var consumed));
        Assert.Equal((user, password), credentials);
        Assert.Equal(513, consumed);

        var utf8User = Encoding.UTF8.GetBytes("jörg");
        var utf8Password = Encoding.UTF8.GetBytes("пароль");
        byte[] utf8 = [0x01, (byte)utf8User.Length, .. utf8User, (byte)utf8Password.Length, .. utf8Password];
        Assert.Equal(HandshakeStep.Done, Authenticate(SequenceFactory.OneByteSegments(utf8), out credentials, out _));
        Assert.Equal(("jörg", "пароль"), credentials);
    }

    [Fact]
    public void Every_truncation_of_the_credentials_needs_more()
    {
        for (var length = 0; length < Credentials.Length; length++)
        {
            foreach (var buffer in Segmentations(Credentials[..length]))
            {
                Assert.Equal(HandshakeStep.NeedMore, Authenticate(buffer, out _, out var consumed));
                Assert.Equal(0, consumed);
            }
        }
    }

    [Theory]
    [InlineData(new byte[] { 0x05, 0x01, 0x75, 0x01, 0x70 })] // the SOCKS version instead of the subnegotiation version
    [InlineData(new byte[] { 0x00, 0x01, 0x75, 0x01, 0x70 })]
    [InlineData(new byte[] { 0x02 })]
    [InlineData(new byte[] { 0x01, 0x00, 0x01, 0x70 })] // empty user name
    [InlineData(new byte[] { 0x01, 0x01, 0x75, 0x00 })] // empty password
    [InlineData(new byte[] { 0x01, 0x00 })] // empty user name, decided before the rest arrives
    public void Credentials_with_a_bad_version_or_an_empty_field_fail(byte[] data)
    {
        foreach (var buffer in Segmentations(data))
        {
            Assert.Equal(HandshakeStep.Failed, Authenticate(buffer, out _, out var consumed));
            Assert.Equal(0, consumed);
        }
    }

    // ---- Request -----------------------------------------------------------------------------------------------

    public static TheoryData<byte[], byte, byte, string, int, string> Requests => new()
    {
        { RequestV4, 0x01, 0x01, "10.1.2.3", 443, "10.1.2.3:443" },
        { RequestV6, 0x01, 0x04, "2001:db8::1", 22, "[2001:db8::1]:22" },
        { RequestDomain, 0x01, 0x03, "example.com", 80, "example.com:80" },
        { [0x05, 0x02, 0x00, 0x01, 127, 0, 0, 1, 0xFF, 0xFF], 0x02, 0x01, "127.0.0.1", 65535, "127.0.0.1:65535" },
        { [0x05, 0x03, 0x00, 0x03, 1, (byte)'a', 0x00, 0x00], 0x03, 0x03, "a", 0, "a:0" },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public void Request_yields_command_address_and_port_and_consumes_exactly_the_request_in_every_segmentation(
        byte[] data, byte command, byte addressType, string host, int port, string target)
    {
        ArgumentNullException.ThrowIfNull(data);
        foreach (var buffer in Segmentations([.. data, .. Trailing]))
        {
            Assert.Equal(HandshakeStep.Done, Request(buffer, out var request, out var consumed));
            Assert.Equal(new Socks5Request(command, addressType, host, port), request);
            Assert.Equal(target, request!.Target);
            Assert.Equal(data.Length, consumed);
        }
    }

    [Fact]
    public void Request_with_the_longest_domain_name_is_accepted()
    {
        var name = string.Join('.', Enumerable.Repeat(new string('a', 63), 4))[..255];
        byte[] data = [0x05, 0x01, 0x00, 0x03, 0xFF, .. Encoding.ASCII.GetBytes(name), 0x01, 0xBB];

        Assert.Equal(HandshakeStep.Done, Request(SequenceFactory.Split(data, 5, 100, 260), out var request, out var consumed));
        Assert.Equal(name, request!.Host);
        Assert.Equal(262, consumed);
    }

    [Fact]
    public void Every_truncation_of_every_request_needs_more()
    {
        foreach (var data in new[] { RequestV4, RequestV6, RequestDomain })
        {
            for (var length = 0; length < data.Length; length++)
            {
                foreach (var buffer in Segmentations(data[..length]))
                {
                    Assert.Equal(HandshakeStep.NeedMore, Request(buffer, out var request, out var consumed));
                    Assert.Null(request);
                    Assert.Equal(0, consumed);
                }
            }
        }
    }

    [Theory]
    [InlineData(new byte[] { 0x04, 0x01, 0x00, 0x01, 127, 0, 0, 1, 0, 80 })] // version 4
    [InlineData(new byte[] { 0x00, 0x01, 0x00, 0x01, 127, 0, 0, 1, 0, 80 })]
    [InlineData(new byte[] { 0x05, 0x01, 0x01, 0x01, 127, 0, 0, 1, 0, 80 })] // reserved byte not zero
    [InlineData(new byte[] { 0x05, 0x01, 0x00, 0x03, 0x00, 0x00, 0x50 })] // empty domain name
    [InlineData(new byte[] { 0x05, 0x01, 0x00, 0x03, 0x00 })]
    public void Request_with_a_bad_version_reserved_byte_or_empty_domain_fails(byte[] data)
    {
        foreach (var buffer in Segmentations(data))
        {
            Assert.Equal(HandshakeStep.Failed, Request(buffer, out _, out var consumed));
            Assert.Equal(0, consumed);
        }
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0x02)]
    [InlineData(0x05)]
    [InlineData(0xFF)]
    public void Request_with_an_unknown_address_type_is_done_with_that_type_and_consumes_only_the_header(byte addressType)
    {
        byte[] data = [0x05, 0x01, 0x00, addressType, 1, 2, 3, 4, 0, 80];
        foreach (var buffer in Segmentations(data))
        {
            Assert.Equal(HandshakeStep.Done, Request(buffer, out var request, out var consumed));
            Assert.Equal(addressType, request!.AddressType);
            Assert.Equal(4, consumed);
        }
    }

    // ---- Garbage -----------------------------------------------------------------------------------------------

    [Fact]
    public void Random_bytes_never_throw_and_a_done_message_never_consumes_more_than_it_was_given()
    {
        var random = new Random(1928);
        for (var i = 0; i < 20_000; i++)
        {
            var data = new byte[random.Next(0, 600)];
            random.NextBytes(data);
            // Bias towards plausible headers so the deeper branches are reached too.
            if (data.Length > 4 && i % 2 == 0)
            {
                data[0] = (byte)(i % 4 == 0 ? 0x05 : 0x01);
                data[2] = 0x00;
                data[3] = (byte)random.Next(0, 6);
            }

            var cuts = new[] { random.Next(0, data.Length + 1), random.Next(0, data.Length + 1) };
            Array.Sort(cuts);
            var buffer = SequenceFactory.Split(data, cuts);

            AssertSane(Greet(buffer, out _, out var consumed), consumed, data.Length);
            AssertSane(Authenticate(buffer, out _, out consumed), consumed, data.Length);
            AssertSane(Request(buffer, out _, out consumed), consumed, data.Length);
        }

        static void AssertSane(HandshakeStep step, int consumed, int length)
        {
            if (step == HandshakeStep.Done)
            {
                Assert.InRange(consumed, 2, Math.Min(length, 513));
            }
            else
            {
                Assert.Equal(0, consumed);
            }
        }
    }

    // ---- Reply -------------------------------------------------------------------------------------------------

    [Fact]
    public void Reply_with_an_ipv4_bound_address_is_ten_bytes_in_network_order()
    {
        var reply = Socks5Parser.Reply(0x00, new IPEndPoint(IPAddress.Parse("192.0.2.10"), 0x1F90));

        Assert.Equal(new byte[] { 0x05, 0x00, 0x00, 0x01, 192, 0, 2, 10, 0x1F, 0x90 }, reply);
    }

    [Fact]
    public void Reply_with_an_ipv4_mapped_bound_address_is_sent_as_ipv4()
    {
        var reply = Socks5Parser.Reply(0x00, new IPEndPoint(IPAddress.Parse("::ffff:127.0.0.1"), 40000));

        Assert.Equal(new byte[] { 0x05, 0x00, 0x00, 0x01, 127, 0, 0, 1, 0x9C, 0x40 }, reply);
    }

    [Fact]
    public void Reply_with_an_ipv6_bound_address_is_twenty_two_bytes()
    {
        var reply = Socks5Parser.Reply(0x00, new IPEndPoint(IPAddress.Parse("2001:db8::1"), 1080));

        Assert.Equal(22, reply.Length);
        Assert.Equal(new byte[] { 0x05, 0x00, 0x00, 0x04 }, reply[..4]);
        Assert.Equal(IPAddress.Parse("2001:db8::1").GetAddressBytes(), reply[4..20]);
        Assert.Equal(new byte[] { 0x04, 0x38 }, reply[20..]);
    }

    [Theory]
    [InlineData(0x01)]
    [InlineData(0x02)]
    [InlineData(0x03)]
    [InlineData(0x04)]
    [InlineData(0x05)]
    [InlineData(0x06)]
    [InlineData(0x07)]
    [InlineData(0x08)]
    public void Failure_reply_without_a_bound_address_carries_the_code_and_zero_ipv4_address(byte code)
    {
        Assert.Equal(new byte[] { 0x05, code, 0x00, 0x01, 0, 0, 0, 0, 0, 0 }, Socks5Parser.Reply(code, null));
    }
}
