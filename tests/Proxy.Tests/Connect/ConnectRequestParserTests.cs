using System.Buffers;
using System.Text;
using Proxy.Connect;
using Proxy.Tests.Buffers;

namespace Proxy.Tests.Connect;

/// <summary>The pure CONNECT head parser: any segmentation, every refusal status, and the bytes after the head left alone.</summary>
public sealed class ConnectRequestParserTests
{
    private const int MaxBytes = ConnectAction.MaxHeadBytes;

    private const string Head =
        "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nProxy-Authorization: Basic dTpw\r\nUser-Agent: curl/8.0\r\n\r\n";

    private static readonly byte[] HeadBytes = Encoding.ASCII.GetBytes(Head);

    /// <summary>The start of a TLS 1.2 ClientHello record, the bytes curl sends right after the 200 (or eagerly).</summary>
    private static readonly byte[] ClientHelloStart = [0x16, 0x03, 0x01, 0x00, 0xF1, 0x01, 0x00, 0x00, 0xED, 0x03, 0x03];

    [Fact]
    public void Complete_head_yields_host_port_and_credentials_and_consumes_exactly_the_head()
    {
        var status = Parse(HeadBytes, out var request, out var consumed);

        Assert.Equal(ConnectParseStatus.Complete, status);
        Assert.NotNull(request);
        Assert.Equal(("example.com", 443, "Basic dTpw"), (request.Host, request.Port, request.ProxyAuthorization));
        Assert.Equal("example.com:443", request.Target);
        Assert.Equal(HeadBytes.Length, consumed);
    }

    [Fact]
    public void Every_single_split_of_the_head_parses_the_same()
    {
        for (var cut = 0; cut <= HeadBytes.Length; cut++)
        {
            var status = ConnectRequestParser.TryParse(SequenceFactory.Split(HeadBytes, cut), MaxBytes, out var request, out var consumed);

            Assert.Equal(ConnectParseStatus.Complete, status);
            Assert.Equal(new ConnectRequest("example.com", 443, "Basic dTpw"), request);
            Assert.Equal(HeadBytes.Length, consumed);
        }
    }

    [Fact]
    public void Every_pair_of_splits_of_the_head_with_trailing_bytes_parses_the_same()
    {
        byte[] data = [.. HeadBytes, .. ClientHelloStart];
        for (var first = 0; first <= data.Length; first++)
        {
            for (var second = first; second <= data.Length; second++)
            {
                var status = ConnectRequestParser.TryParse(SequenceFactory.Split(data, first, second), MaxBytes, out var request, out var consumed);

                Assert.Equal(ConnectParseStatus.Complete, status);
                Assert.Equal("example.com", request!.Host);
                Assert.Equal(HeadBytes.Length, consumed);
            }
        }
    }

    [Fact]
    public void One_byte_segments_parse_the_same()
    {
        var status = ConnectRequestParser.TryParse(SequenceFactory.OneByteSegments(HeadBytes), MaxBytes, out var request, out var consumed);

        Assert.Equal(ConnectParseStatus.Complete, status);
        Assert.Equal(new ConnectRequest("example.com", 443, "Basic dTpw"), request);
        Assert.Equal(HeadBytes.Length, consumed);
    }

    [Fact]
    public void Every_proper_prefix_of_the_head_is_incomplete_and_consumes_nothing()
    {
        for (var length = 0; length < HeadBytes.Length; length++)
        {
            var status = ConnectRequestParser.TryParse(SequenceFactory.OneByteSegments(HeadBytes[..length]), MaxBytes, out var request, out var consumed);

            Assert.Equal(ConnectParseStatus.Incomplete, status);
            Assert.Null(request);
            Assert.Equal(0, consumed);
        }
    }

    [Fact]
    public void Bytes_after_the_blank_line_are_not_consumed()
    {
        byte[] data = [.. HeadBytes, .. ClientHelloStart];

        var status = Parse(data, out var request, out var consumed);

        Assert.Equal(ConnectParseStatus.Complete, status);
        Assert.Equal("example.com", request!.Host);
        Assert.Equal(HeadBytes.Length, consumed);
        Assert.Equal(ClientHelloStart, data[consumed..]);
    }

    [Fact]
    public void Bytes_after_the_blank_line_that_look_like_http_are_not_consumed()
    {
        const string Tunnelled = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";
        var data = Encoding.ASCII.GetBytes(Head + Tunnelled);

        var status = Parse(data, out _, out var consumed);

        Assert.Equal(ConnectParseStatus.Complete, status);
        Assert.Equal(Tunnelled, Encoding.ASCII.GetString(data, consumed, data.Length - consumed));
    }

    [Theory]
    [InlineData("[2001:db8::1]:443", "2001:db8::1", 443, "[2001:db8::1]:443")]
    [InlineData("[::1]:8080", "::1", 8080, "[::1]:8080")]
    [InlineData("[::ffff:192.0.2.1]:443", "::ffff:192.0.2.1", 443, "[::ffff:192.0.2.1]:443")]
    [InlineData("192.0.2.10:8443", "192.0.2.10", 8443, "192.0.2.10:8443")]
    [InlineData("Example.COM:1", "example.com", 1, "example.com:1")]
    [InlineData("a-b_c.example:65535", "a-b_c.example", 65535, "a-b_c.example:65535")]
    [InlineData("localhost:22", "localhost", 22, "localhost:22")]
    public void Authority_forms_parse_to_host_and_port(string authority, string host, int port, string target)
    {
        var status = Parse($"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n", out var request, out _);

        Assert.Equal(ConnectParseStatus.Complete, status);
        Assert.Equal((host, port, target), (request!.Host, request.Port, request.Target));
        Assert.Null(request.ProxyAuthorization);
    }

    [Theory]
    [InlineData("example.com")]
    [InlineData("example.com:")]
    [InlineData(":443")]
    [InlineData("[2001:db8::1]")]
    [InlineData("[2001:db8::1]:")]
    [InlineData("2001:db8::1:443")]
    [InlineData("[example.com]:443")]
    [InlineData("[192.0.2.1]:443")]
    [InlineData("[2001:db8::1:443")]
    public void Missing_port_or_malformed_host_is_a_bad_request(string authority)
    {
        Assert.Equal(ConnectParseStatus.BadRequest, Parse($"CONNECT {authority} HTTP/1.1\r\n\r\n", out var request, out _));
        Assert.Null(request);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("65536")]
    [InlineData("99999999999")]
    [InlineData("-1")]
    [InlineData("+443")]
    [InlineData(" 443")]
    [InlineData("44a")]
    [InlineData("https")]
    [InlineData("0x1bb")]
    public void Bad_port_is_a_bad_request(string port)
    {
        Assert.Equal(ConnectParseStatus.BadRequest, Parse($"CONNECT example.com:{port} HTTP/1.1\r\n\r\n", out var request, out _));
        Assert.Null(request);
    }

    [Theory]
    [InlineData("exa mple.com:443")]
    [InlineData("http://example.com:443")]
    [InlineData("example.com:443/path")]
    [InlineData("user@example.com:443")]
    [InlineData(".example.com:443")]
    [InlineData("*.example.com:443")]
    public void Targets_that_are_not_host_and_port_are_bad_requests(string authority)
        => Assert.Equal(ConnectParseStatus.BadRequest, Parse($"CONNECT {authority} HTTP/1.1\r\n\r\n", out _, out _));

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n")]
    [InlineData("GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n")]
    [InlineData("POST /upload HTTP/1.1\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("OPTIONS * HTTP/1.1\r\n\r\n")]
    [InlineData("connect example.com:443 HTTP/1.1\r\n\r\n")]
    [InlineData("PRI example.com:443 HTTP/1.1\r\n\r\n")]
    public void Other_methods_are_not_allowed(string request)
        => Assert.Equal(ConnectParseStatus.MethodNotAllowed, Parse(request, out _, out _));

    [Theory]
    [InlineData("CONNECT example.com:443\r\n\r\n")]
    [InlineData("CONNECT example.com:443 HTTP/2.0\r\n\r\n")]
    [InlineData("CONNECT example.com:443 HTTP/1.10\r\n\r\n")]
    [InlineData("CONNECT example.com:443 HTTPS/1.1\r\n\r\n")]
    [InlineData("CONNECT  example.com:443 HTTP/1.1\r\n\r\n")]
    [InlineData("CONNECT example.com:443 HTTP/1.1 extra\r\n\r\n")]
    [InlineData("CONNECT example.com:443 HTTP/1.1\r\nNo-Colon-Here\r\n\r\n")]
    [InlineData("CONNECT example.com:443 HTTP/1.1\r\n: empty name\r\n\r\n")]
    [InlineData("CONNECT example.com:443 HTTP/1.1\r\nBad Name: x\r\n\r\n")]
    [InlineData("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n folded\r\n\r\n")]
    [InlineData("\r\n\r\n")]
    [InlineData("\x16\x03\x01\x00\x05\r\n\r\n")]
    public void Malformed_heads_are_bad_requests(string request)
        => Assert.Equal(ConnectParseStatus.BadRequest, Parse(request, out _, out _));

    [Fact]
    public void Http_1_0_is_accepted()
    {
        Assert.Equal(ConnectParseStatus.Complete, Parse("CONNECT example.com:443 HTTP/1.0\r\n\r\n", out var request, out _));
        Assert.Equal("example.com", request!.Host);
    }

    [Fact]
    public void Lf_only_line_ends_are_tolerated()
    {
        const string LfHead = "CONNECT example.com:443 HTTP/1.1\nHost: example.com:443\nProxy-Authorization: Basic dTpw\n\n";
        byte[] data = [.. Encoding.ASCII.GetBytes(LfHead), .. ClientHelloStart];

        var status = ConnectRequestParser.TryParse(SequenceFactory.OneByteSegments(data), MaxBytes, out var request, out var consumed);

        Assert.Equal(ConnectParseStatus.Complete, status);
        Assert.Equal(new ConnectRequest("example.com", 443, "Basic dTpw"), request);
        Assert.Equal(LfHead.Length, consumed);
    }

    [Fact]
    public void Lf_only_head_ends_at_its_own_blank_line_even_when_later_bytes_hold_a_crlf_blank_line()
    {
        // An LF-only head followed by tunnelled bytes that happen to contain CRLF CRLF (an HTTP request sent eagerly
        // through the tunnel): the head still ends at the first empty line, and those bytes belong to the destination.
        const string LfHead = "CONNECT example.com:80 HTTP/1.1\nHost: example.com:80\n\n";
        const string Tunnelled = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";

        var status = Parse(LfHead + Tunnelled, out var request, out var consumed);

        Assert.Equal(ConnectParseStatus.Complete, status);
        Assert.Equal("example.com", request!.Host);
        Assert.Equal(LfHead.Length, consumed);
    }

    [Theory]
    [InlineData("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\n")]
    [InlineData("CONNECT example.com:443 HTTP/1.1\nHost: example.com:443\n\r\n")]
    [InlineData("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\n\n")]
    public void Mixed_line_ends_are_tolerated(string head)
    {
        // RFC 9112 §2.2: a recipient that accepts a bare LF as a line end ignores a CR before it, so "\n\r\n" also
        // ends the head (a line ended by LF, then an empty line ended by CRLF).
        Assert.Equal(ConnectParseStatus.Complete, Parse(head + "tail", out var request, out var consumed));
        Assert.Equal("example.com", request!.Host);
        Assert.Equal(head.Length, consumed);
    }

    [Theory]
    [InlineData("proxy-authorization: Basic dTpw", "Basic dTpw")]
    [InlineData("PROXY-AUTHORIZATION:Basic dTpw", "Basic dTpw")]
    [InlineData("Proxy-Authorization: \t Basic dTpw \t", "Basic dTpw")]
    public void Proxy_authorization_is_found_whatever_its_case_and_whitespace(string header, string expected)
    {
        Assert.Equal(ConnectParseStatus.Complete, Parse($"CONNECT example.com:443 HTTP/1.1\r\n{header}\r\n\r\n", out var request, out _));
        Assert.Equal(expected, request!.ProxyAuthorization);
    }

    [Fact]
    public void Head_over_the_limit_without_an_end_is_too_large()
    {
        var data = Encoding.ASCII.GetBytes("CONNECT example.com:443 HTTP/1.1\r\nX-Padding: " + new string('a', MaxBytes));

        Assert.Equal(ConnectParseStatus.TooLarge, Parse(data, out var request, out var consumed));
        Assert.Null(request);
        Assert.Equal(0, consumed);
    }

    [Fact]
    public void Complete_head_over_the_limit_is_too_large()
    {
        var data = Encoding.ASCII.GetBytes("CONNECT example.com:443 HTTP/1.1\r\nX-Padding: " + new string('a', MaxBytes) + "\r\n\r\n");

        Assert.Equal(ConnectParseStatus.TooLarge, Parse(data, out var request, out _));
        Assert.Null(request);
    }

    [Fact]
    public void Head_of_exactly_the_limit_is_accepted_and_one_byte_more_is_too_large()
    {
        const string Start = "CONNECT example.com:443 HTTP/1.1\r\nX-Padding: ";
        const string End = "\r\n\r\n";
        var exact = Encoding.ASCII.GetBytes(Start + new string('a', MaxBytes - Start.Length - End.Length) + End);
        var over = Encoding.ASCII.GetBytes(Start + new string('a', MaxBytes - Start.Length - End.Length + 1) + End);
        Assert.Equal(MaxBytes, exact.Length);

        Assert.Equal(ConnectParseStatus.Complete, Parse(exact, out _, out var consumed));
        Assert.Equal(MaxBytes, consumed);
        Assert.Equal(ConnectParseStatus.TooLarge, Parse(over, out _, out _));
    }

    [Fact]
    public void Small_head_followed_by_many_bytes_is_not_too_large()
    {
        byte[] data = [.. HeadBytes, .. new byte[4 * MaxBytes]];

        Assert.Equal(ConnectParseStatus.Complete, Parse(data, out _, out var consumed));
        Assert.Equal(HeadBytes.Length, consumed);
    }

    [Fact]
    public void Lf_only_small_head_followed_by_many_bytes_with_a_crlf_blank_line_is_not_too_large()
    {
        const string LfHead = "CONNECT example.com:443 HTTP/1.1\n\n";
        byte[] data = [.. Encoding.ASCII.GetBytes(LfHead), .. new byte[2 * MaxBytes], .. "\r\n\r\n"u8.ToArray()];

        Assert.Equal(ConnectParseStatus.Complete, Parse(data, out _, out var consumed));
        Assert.Equal(LfHead.Length, consumed);
    }

    [Fact]
    public void Garbage_never_throws_and_never_claims_more_than_it_was_given()
    {
        var random = new Random(20240611);
        string[] fragments = ["CONNECT ", "GET ", " HTTP/1.1", "\r\n", "\n", "\r\n\r\n", ":", "[", "]", "::1", "example.com", "443", " ", "\0", "\xff", "Proxy-Authorization: Basic "];
        for (var i = 0; i < 20_000; i++)
        {
            byte[] data;
            if (i % 2 == 0)
            {
                data = new byte[random.Next(0, 200)];
                random.NextBytes(data);
            }
            else
            {
                var text = new StringBuilder();
                for (var n = random.Next(0, 12); n > 0; n--)
                {
                    text.Append(fragments[random.Next(fragments.Length)]);
                }

                data = Encoding.Latin1.GetBytes(text.ToString());
            }

            var sequence = random.Next(3) switch
            {
                0 => new ReadOnlySequence<byte>(data),
                1 => SequenceFactory.OneByteSegments(data),
                _ => SequenceFactory.Split(data, data.Length / 2),
            };
            var status = ConnectRequestParser.TryParse(sequence, random.Next(2) == 0 ? MaxBytes : 16, out var request, out var consumed);

            Assert.InRange(consumed, 0, data.Length);
            Assert.Equal(status == ConnectParseStatus.Complete, request is not null);
            if (status == ConnectParseStatus.Incomplete)
            {
                Assert.Equal(0, consumed);
            }
        }
    }

    [Fact]
    public void Empty_input_is_incomplete()
        => Assert.Equal(ConnectParseStatus.Incomplete, ConnectRequestParser.TryParse(ReadOnlySequence<byte>.Empty, MaxBytes, out _, out _));

    private static ConnectParseStatus Parse(string text, out ConnectRequest? request, out int consumed)
        => Parse(Encoding.Latin1.GetBytes(text), out request, out consumed);

    private static ConnectParseStatus Parse(byte[] data, out ConnectRequest? request, out int consumed)
        => ConnectRequestParser.TryParse(new ReadOnlySequence<byte>(data), MaxBytes, out request, out consumed);
}
