using System.Diagnostics;
using System.Net.Sockets;
using Proxy.Tests.Infrastructure;
using static Proxy.Tests.Infrastructure.ConnectRoutes;

namespace Proxy.Tests.Connect;

/// <summary>One proxy for the refusal tests: an echo destination, a route that admits loopback by CIDR and name (and
/// <see cref="Unreachable"/>), one that admits names only (so loopback must be refused after resolving), and one with a
/// 1 s connect timeout.</summary>
public sealed class ConnectRefusalFixture : IAsyncLifetime
{
    public const string Main = "connect";
    public const string NamesOnly = "names-only";
    public const string Fast = "fast-timeout";

    /// <summary>A multicast address: Linux refuses a TCP connect to it with ENETUNREACH at the route lookup, before any
    /// packet is sent, so "network unreachable" is reproducible on a loopback-only machine.</summary>
    public const string Unreachable = "224.0.0.1";

    public TcpBackend Echo { get; } = TcpBackend.Echo();

    public BlackholeListener Blackhole { get; private set; } = null!;

    public ProxyTestHost Proxy { get; private set; } = null!;

    public int MainPort { get; } = TestClient.FreePort();

    public int NamesOnlyPort { get; } = TestClient.FreePort();

    public int FastPort { get; } = TestClient.FreePort();

    public async Task InitializeAsync()
    {
        Blackhole = await BlackholeListener.StartAsync();
        Proxy = await ProxyTestHost.StartAsync(Section(
        [
            ConnectRoute(Main, MainPort, [.. Loopback], action: new() { ["Destinations"] = new { Allow = (string[])[.. Loopback, $"{Unreachable}/32:*"], Deny = new[] { $"127.0.0.1/32:{Blackhole.Port}" } } }),
            ConnectRoute(NamesOnly, NamesOnlyPort, ["localhost:*", "*:*"]),
            ConnectRoute(Fast, FastPort, [.. Loopback], route: new() { ["Limits"] = new { ConnectTimeout = "00:00:01" } }),
        ]));
    }

    public async Task DisposeAsync()
    {
        await Proxy.DisposeAsync();
        Blackhole.Dispose();
        await Echo.DisposeAsync();
    }
}

/// <summary>Every refusal of the Connect action, with raw sockets: the status line, a well-formed head, the connection
/// closed after it, and the proxy still serving the next client.</summary>
public sealed class ConnectRefusalTests(ConnectRefusalFixture fixture) : IClassFixture<ConnectRefusalFixture>
{
    [Theory]
    [InlineData("CONNECT 127.0.0.1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")]
    [InlineData("CONNECT localhost: HTTP/1.1\r\n\r\n")]
    [InlineData("CONNECT [::1] HTTP/1.1\r\n\r\n")]
    [InlineData("CONNECT 127.0.0.1:0 HTTP/1.1\r\n\r\n")]
    [InlineData("CONNECT 127.0.0.1:70000 HTTP/1.1\r\n\r\n")]
    [InlineData("CONNECT 127.0.0.1:80 HTTP/9.9\r\n\r\n")]
    [InlineData("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 garbage\r\n\r\n")]
    [InlineData("hello\r\n\r\n")]
    public async Task Missing_port_or_bad_syntax_is_answered_400_and_closed(string request)
    {
        var response = await RefuseAsync(fixture.MainPort, request, 400, "HTTP/1.1 400 Bad Request");

        Assert.Equal("expected CONNECT host:port HTTP/1.1\n", response.Body);
        await fixture.Proxy.Logs.WaitForConnectionAsync("BadRequest", ConnectRefusalFixture.Main);
        await AssertStillServesAsync();
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")]
    [InlineData("GET http://127.0.0.1/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")]
    [InlineData("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n")]
    public async Task Other_methods_are_answered_405_with_allow_connect(string request)
    {
        var response = await RefuseAsync(fixture.MainPort, request, 405, "HTTP/1.1 405 Method Not Allowed");

        Assert.Equal("CONNECT", response.Headers["Allow"]);
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task Missing_credentials_are_answered_407_with_a_basic_challenge()
    {
        var before = fixture.Echo.Accepted;

        var response = await RefuseAsync(fixture.MainPort, ConnectClient.Request(fixture.Echo.Address, user: null), 407, "HTTP/1.1 407 Proxy Authentication Required");

        AssertBasicChallenge(response);
        Assert.Equal(before, fixture.Echo.Accepted);
        await fixture.Proxy.Logs.WaitForConnectionAsync("AuthFailed", ConnectRefusalFixture.Main);
        await AssertStillServesAsync();
    }

    [Theory]
    [InlineData("Basic dTp3cm9uZw==")] // u:wrong
    [InlineData("Basic bm9ib2R5OnA=")] // nobody:p
    [InlineData("Basic dQ==")] // u (no colon)
    [InlineData("Basic !!!not-base64!!!")]
    [InlineData("Basic ")]
    [InlineData("Bearer dTpw")]
    [InlineData("dTpw")]
    public async Task Wrong_credentials_are_answered_407_with_a_basic_challenge(string authorization)
    {
        var request = $"CONNECT {fixture.Echo.Address} HTTP/1.1\r\nHost: {fixture.Echo.Address}\r\nProxy-Authorization: {authorization}\r\n\r\n";

        var response = await RefuseAsync(fixture.MainPort, request, 407, "HTTP/1.1 407 Proxy Authentication Required");

        AssertBasicChallenge(response);
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task Credentials_are_checked_before_the_destination_is_dialed()
    {
        var before = fixture.Echo.Accepted;

        await RefuseAsync(fixture.MainPort, ConnectClient.Request(fixture.Echo.Address, password: "wrong"), 407, "HTTP/1.1 407 Proxy Authentication Required");

        Assert.Equal(before, fixture.Echo.Accepted);
    }

    [Theory]
    [InlineData("192.0.2.1:443")] // Public, but not allowed.
    [InlineData("127.0.0.2:{echo}")] // Loopback outside the allowed /32.
    [InlineData("example.com:443")] // A name that is not allowed: refused before any DNS lookup.
    [InlineData("[::1]:{echo}")] // IPv6 loopback is special and not named.
    [InlineData("127.0.0.1:{blackhole}")] // Denied port: deny wins over the allowed CIDR.
    public async Task Destination_outside_the_policy_is_answered_403(string target)
    {
        target = Target(target);

        var response = await RefuseAsync(fixture.MainPort, ConnectClient.Request(target), 403, "HTTP/1.1 403 Forbidden");

        Assert.Equal("the destination is not allowed\n", response.Body);
        await fixture.Proxy.Logs.WaitForConnectionAsync("Forbidden", ConnectRefusalFixture.Main);
        await AssertStillServesAsync();
    }

    [Theory]
    [InlineData("127.1:{echo}")] // inet_aton short form, which a resolver would turn into 127.0.0.1.
    [InlineData("2130706433:{echo}")] // 127.0.0.1 as one decimal number.
    [InlineData("010.0.0.1:{echo}")] // Octal: 8.0.0.1 to inet_aton.
    public async Task Inet_aton_address_forms_are_bad_requests_and_never_resolved(string target)
    {
        var before = fixture.Echo.Accepted;

        await RefuseAsync(fixture.NamesOnlyPort, ConnectClient.Request(Target(target)), 400, "HTTP/1.1 400 Bad Request");

        Assert.Equal(before, fixture.Echo.Accepted);
        await fixture.Proxy.Logs.WaitForConnectionAsync("BadRequest", ConnectRefusalFixture.NamesOnly);
        await AssertStillServesAsync();
    }

    [Theory]
    [InlineData("localhost:{echo}")] // The name is allowed; the address it resolves to is loopback, not allowed by CIDR.
    [InlineData("127.0.0.1:{echo}")] // "*" admits public literals only.
    [InlineData("0.0.0.0:{echo}")]
    [InlineData("169.254.169.254:80")] // Cloud metadata.
    [InlineData("10.0.0.1:80")]
    [InlineData("[::ffff:127.0.0.1]:{echo}")]
    public async Task Special_addresses_are_answered_403_even_when_a_name_or_wildcard_admits_them(string target)
    {
        var before = fixture.Echo.Accepted;

        var response = await RefuseAsync(fixture.NamesOnlyPort, ConnectClient.Request(Target(target)), 403, "HTTP/1.1 403 Forbidden");

        Assert.Equal("the destination is not allowed\n", response.Body);
        Assert.Equal(before, fixture.Echo.Accepted);
        await fixture.Proxy.Logs.WaitForConnectionAsync("Forbidden", ConnectRefusalFixture.NamesOnly);
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task Refused_port_is_answered_502()
    {
        using var refusing = TestClient.RefusingPort(out var closed);
        var response = await RefuseAsync(fixture.MainPort, ConnectClient.Request($"127.0.0.1:{closed}"), 502, "HTTP/1.1 502 Bad Gateway");

        Assert.Equal("the destination refused the connection\n", response.Body);
        await fixture.Proxy.Logs.WaitForConnectionAsync("TargetRefused", ConnectRefusalFixture.Main);
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task Unreachable_network_is_answered_502()
    {
        var response = await RefuseAsync(fixture.MainPort, ConnectClient.Request($"{ConnectRefusalFixture.Unreachable}:443"), 502, "HTTP/1.1 502 Bad Gateway");

        Assert.Equal("the destination is unreachable\n", response.Body);
        await fixture.Proxy.Logs.WaitForConnectionAsync("TargetUnreachable", ConnectRefusalFixture.Main);
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task Name_that_does_not_resolve_is_answered_502()
    {
        // .invalid never resolves (RFC 6761), so the resolver answers at once without leaving the machine's config.
        var response = await RefuseAsync(fixture.NamesOnlyPort, ConnectClient.Request("no-such-host.invalid:443"), 502, "HTTP/1.1 502 Bad Gateway");

        Assert.Equal("the destination name does not resolve\n", response.Body);
        await fixture.Proxy.Logs.WaitForConnectionAsync("DnsFailed", ConnectRefusalFixture.NamesOnly);
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task Destination_that_does_not_answer_in_time_is_answered_504()
    {
        Assert.True(fixture.Blackhole.IsHanging, "This kernel answers a full accept queue; no loopback timeout to test against.");
        var watch = Stopwatch.StartNew();

        var response = await RefuseAsync(fixture.FastPort, ConnectClient.Request(fixture.Blackhole.Address), 504, "HTTP/1.1 504 Gateway Timeout");

        Assert.Equal("the destination did not answer in time\n", response.Body);
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(0.8), TestTimeouts.Io);
        await fixture.Proxy.Logs.WaitForConnectionAsync("TargetTimeout", ConnectRefusalFixture.Fast);
        await AssertStillServesAsync(fixture.FastPort);
    }

    [Fact]
    public async Task Head_over_8_KiB_is_answered_431()
    {
        var request = $"CONNECT {fixture.Echo.Address} HTTP/1.1\r\nX-Padding: {new string('a', 9 * 1024)}\r\n\r\n";

        await RefuseAsync(fixture.MainPort, request, 431, "HTTP/1.1 431 Request Header Fields Too Large");
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task Endless_head_is_refused_once_it_passes_8_KiB_without_waiting_for_its_end()
    {
        using var socket = await TestClient.ConnectAsync(fixture.MainPort);
        await socket.SendAsync($"CONNECT {fixture.Echo.Address} HTTP/1.1\r\nX-Padding: {new string('a', 9 * 1024)}");

        var response = ProxyResponse.Parse(await socket.ReadToEndTextAsync());

        Assert.Equal(431, response.Status);
    }

    [Fact]
    public async Task Head_that_never_ends_is_closed_after_the_head_timeout()
    {
        using var socket = await TestClient.ConnectAsync(fixture.MainPort);
        var watch = Stopwatch.StartNew();
        await socket.SendAsync($"CONNECT {fixture.Echo.Address} HTTP/1.1\r\nHost: {fixture.Echo.Address}\r\n");

        var text = await socket.ReadToEndTextAsync();

        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(9), TimeSpan.FromSeconds(19));
        Assert.StartsWith("HTTP/1.1 4", text, StringComparison.Ordinal);
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task Client_that_leaves_before_its_head_ends_gets_nothing_and_the_proxy_keeps_serving()
    {
        using (var socket = await TestClient.ConnectAsync(fixture.MainPort))
        {
            await socket.SendAsync("CONNECT 127.0.0.1:1 HT");
            socket.Shutdown(SocketShutdown.Send);
            Assert.Equal(string.Empty, await socket.ReadToEndTextAsync());
        }

        await AssertStillServesAsync();
    }

    private string Target(string pattern) => pattern
        .Replace("{echo}", TestRoutes.Port(fixture.Echo.Port), StringComparison.Ordinal)
        .Replace("{blackhole}", TestRoutes.Port(fixture.Blackhole.Port), StringComparison.Ordinal);

    /// <summary>Sends the request, reads until the proxy closes, and checks the head is well formed.</summary>
    private static async Task<ProxyResponse> RefuseAsync(int port, string request, int status, string statusLine)
    {
        var text = await ConnectClient.RefusedAsync(port, request); // Returns only once the proxy has closed the connection.
        var response = ProxyResponse.Parse(text);

        Assert.Equal(statusLine, response.StatusLine);
        Assert.Equal(status, response.Status);
        Assert.Equal("close", response.Headers["Connection"]);
        Assert.Equal("text/plain", response.Headers["Content-Type"]);
        Assert.Equal(response.Body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), response.Headers["Content-Length"]);
        return response;
    }

    private static void AssertBasicChallenge(ProxyResponse response)
    {
        // RFC 9110 §11.6.1 / RFC 7617: a Basic challenge with a quoted realm.
        var challenge = response.Headers["Proxy-Authenticate"];
        Assert.Matches("^Basic realm=\"[^\"]+\"(, charset=\"UTF-8\")?$", challenge);
    }

    private async Task AssertStillServesAsync(int? port = null)
    {
        using var tunnel = await ConnectClient.OpenTunnelAsync(port ?? fixture.MainPort, fixture.Echo.Address);
        await tunnel.AssertEchoesAsync("still serving");
    }
}
