using System.Net;
using System.Text.Json;
using Proxy.Tests.Infrastructure;

namespace Proxy.Tests.Socks;

/// <summary>The real curl through the Socks5 action: <c>--socks5</c> (curl resolves) and <c>--socks5-hostname</c> (the
/// proxy, or through the relay the egress, resolves) with RFC 1929 credentials, to a real HTTP and HTTPS backend,
/// directly and via an egress node; and curl's exit code 97 (CURLE_PROXY) when the proxy refuses.</summary>
public sealed class SocksEndToEndTests
{
    private const string Route = "socks";
    private const int CurlProxyError = 97;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static string Proxy(int port) => $"127.0.0.1:{SocksConfig.Port(port)}";

    public static TheoryData<string, bool, bool> Modes()
    {
        var data = new TheoryData<string, bool, bool>();
        foreach (var mode in new[] { "--socks5", "--socks5-hostname" })
        {
            foreach (var https in new[] { false, true })
            {
                foreach (var viaEgress in new[] { false, true })
                {
                    data.Add(mode, https, viaEgress);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Curl_fetches_from_an_http_and_https_backend_directly_and_via_an_egress(string mode, bool https, bool viaEgress)
    {
        using var certificate = https ? TestCertificates.Create("localhost") : null;
        await using var backend = await HttpBackend.StartAsync("socks-backend", certificate);
        var backendPort = new Uri(backend.Url).Port;
        var url = $"{(https ? "https" : "http")}://localhost:{backendPort}/through/socks?mode={mode}";

        var directPort = TestClient.FreePort();
        await using var direct = viaEgress ? null : await ProxyTestHost.StartAsync(SocksConfig.Section(
            [SocksConfig.Socks5(Route, directPort, SocksConfig.Loopback)]));
        await using var relayed = viaEgress ? await SocksRelayPair.StartAsync(SocksConfig.Loopback) : null;
        var ingress = direct ?? relayed!.Ingress;
        var socksPort = relayed?.SocksPort ?? directPort;

        // -4: with --socks5 curl resolves "localhost" itself; the backend listens on 127.0.0.1 only.
        string[] extra = https ? ["-4", "-k"] : ["-4"];
        var run = await SocksCurl.RunAsync(mode, Proxy(socksPort), url, "u:p", extra);

        Assert.True(run.ExitCode == 0, run.ToString());
        var echo = JsonSerializer.Deserialize<BackendEcho>(run.Stdout, Json);
        Assert.NotNull(echo);
        Assert.Equal("socks-backend", echo.Backend);
        Assert.Equal("/through/socks", echo.Path);
        Assert.Equal($"localhost:{backendPort}", echo.Host);

        // --socks5 sends the address curl resolved; --socks5-hostname sends the name for the proxy side to resolve.
        var target = mode == "--socks5" ? $"127.0.0.1:{backendPort}" : $"localhost:{backendPort}";
        var via = viaEgress ? $" via {SocksConfig.RelayUrl(relayed!.EgressPort)}" : string.Empty;
        await ingress.WaitForSessionAsync(Route, $"target={target}{via}", "end=Completed", "user=u");
        if (viaEgress)
        {
            await relayed!.Egress.Logs.WaitForAsync(e => e.Message.StartsWith("Relay tunnel route=relay ", StringComparison.Ordinal)
                && SocksWire.HasField(e.Message, $"destination={target}"));
        }
    }

    [Theory]
    [InlineData("--socks5")]
    [InlineData("--socks5-hostname")]
    public async Task Curl_reaches_an_ipv6_literal_destination(string mode)
    {
        await using var backend = SocksWire.HttpOn(IPAddress.IPv6Loopback, "hello over v6");
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(
            SocksConfig.Section([SocksConfig.Socks5(Route, port, SocksConfig.Loopback)], bindAddress: "::"));

        var run = await SocksCurl.RunAsync(mode, $"[::1]:{SocksConfig.Port(port)}", $"http://[::1]:{SocksConfig.Port(backend.Port)}/");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("hello over v6", run.Stdout);
        await proxy.WaitForSessionAsync(Route, "client=[::1]:*", "end=Completed", "user=u");
    }

    [Fact]
    public async Task Curl_exits_97_when_the_destination_refuses()
    {
        var port = TestClient.FreePort();
        using var refusing = TestClient.RefusingPort(out var closed);
        await using var proxy = await ProxyTestHost.StartAsync(SocksConfig.Section([SocksConfig.Socks5(Route, port, SocksConfig.Loopback)]));

        var run = await SocksCurl.RunAsync("--socks5", Proxy(port), $"http://127.0.0.1:{SocksConfig.Port(closed)}/");

        Assert.True(run.ExitCode == CurlProxyError, run.ToString());
        await proxy.WaitForSessionAsync(Route, "end=TargetRefused", "user=u", "reply=05");
    }

    [Theory]
    [InlineData("--socks5", "http://127.0.0.2:{0}/")]
    [InlineData("--socks5-hostname", "http://example.com:{0}/")]
    [InlineData("--socks5-hostname", "http://localhost:{1}/")]
    public async Task Curl_exits_97_when_the_destination_is_forbidden(string mode, string urlFormat)
    {
        ArgumentNullException.ThrowIfNull(urlFormat);
        await using var backend = await HttpBackend.StartAsync("forbidden");
        var backendPort = new Uri(backend.Url).Port;
        var port = TestClient.FreePort();
        // Only the backend's own port on 127.0.0.1 and localhost is allowed.
        await using var proxy = await ProxyTestHost.StartAsync(SocksConfig.Section([SocksConfig.Socks5(Route, port,
            [$"127.0.0.1/32:{backendPort}", $"localhost:{backendPort}"])]));

        var url = string.Format(System.Globalization.CultureInfo.InvariantCulture, urlFormat, backendPort, backendPort + 1);
        var run = await SocksCurl.RunAsync(mode, Proxy(port), url);

        Assert.True(run.ExitCode == CurlProxyError, run.ToString());
        Assert.Equal(0, backend.Requests);
        await proxy.WaitForSessionAsync(Route, "end=Forbidden", "user=u", "reply=02");
    }

    [Fact]
    public async Task Curl_exits_97_when_the_egress_forbids_the_destination()
    {
        await using var backend = await HttpBackend.StartAsync("egress-forbidden");
        var backendPort = new Uri(backend.Url).Port;
        // The ingress would allow it; the egress allows nothing on loopback.
        await using var nodes = await SocksRelayPair.StartAsync(["*.invalid:*"], SocksConfig.Loopback);

        var run = await SocksCurl.RunAsync("--socks5-hostname", Proxy(nodes.SocksPort), $"http://localhost:{backendPort}/");

        Assert.True(run.ExitCode == CurlProxyError, run.ToString());
        Assert.Equal(0, backend.Requests);
        await nodes.Ingress.WaitForSessionAsync(Route, "end=Forbidden", "user=u", "reply=02");
    }

    [Theory]
    [InlineData("u:wrong")]
    [InlineData("nobody:p")]
    public async Task Curl_exits_97_with_wrong_credentials(string credentials)
    {
        await using var backend = await HttpBackend.StartAsync("auth");
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(SocksConfig.Section([SocksConfig.Socks5(Route, port, SocksConfig.Loopback)]));

        var run = await SocksCurl.RunAsync("--socks5", Proxy(port), backend.Url + "/", credentials);

        Assert.True(run.ExitCode == CurlProxyError, run.ToString());
        Assert.Equal(0, backend.Requests);
        await proxy.WaitForSessionAsync(Route, "end=AuthFailed", "user=-");
    }
}
