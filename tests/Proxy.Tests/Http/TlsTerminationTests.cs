using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Proxy.Tests.Infrastructure;
using static Proxy.Tests.Http.HttpRoutes;

namespace Proxy.Tests.Http;

/// <summary>HTTP routes behind TLS termination on the same port as L4 SNI routes: the real proxy on real Kestrel,
/// real TLS clients, a real TLS passthrough backend and real ASP.NET Core HTTP backends.</summary>
public sealed class TlsTerminationTests
{
    private const string DbName = "db.example.test";
    private const string Wildcard = "*.example.test";

    [Fact]
    public async Task One_port_passes_an_L4_name_through_and_terminates_tls_for_the_wildcard_http_route()
    {
        await using var db = new TlsBackend("db", DbName);
        await using var web = await HttpBackend.StartAsync("web");
        using var certificate = TestCertificates.Create(Wildcard);
        using var files = new CertificateFiles();
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Section(
            [ForwardByName("db", port, [DbName], db.Address), HttpRoute("web", port, web.Url).Match("Domains", new[] { Wildcard }).Terminate("wildcard")],
            new() { ["wildcard"] = files.Pem("wildcard", certificate) }));

        using (var client = new LoopbackHttpClient(port))
        {
            var a = await client.GetEchoAsync($"https://a.example.test:{port}/hello?x=1");
            Assert.Equal(("web", "/hello", "?x=1"), (a.Backend, a.Path, a.Query));
            Assert.Equal($"a.example.test:{port}", a.Header("X-Forwarded-Host"));
            Assert.Equal("https", a.Header("X-Forwarded-Proto"));
            var b = await client.GetEchoAsync($"https://b.example.test:{port}/");
            Assert.Equal("web", b.Backend);
            Assert.Equal([certificate.Thumbprint, certificate.Thumbprint], client.ServerThumbprints);
        }

        // The L4 name never meets the proxy's certificate: the client completes its handshake with the backend itself.
        var (thumbprint, greeting) = await PassthroughAsync(port, DbName, "through untouched\n");
        Assert.Equal(db.Certificate.Thumbprint, thumbprint);
        Assert.Equal([db.Greeting, "through untouched\n"], greeting);
        Assert.Equal([DbName], db.ServerNames);
        Assert.Equal(2, web.Requests);
        await proxy.Logs.WaitForConnectionAsync("Completed", "db");
    }

    [Fact]
    public async Task Http2_and_http11_are_both_served_on_a_terminating_port()
    {
        await using var web = await HttpBackend.StartAsync("web");
        using var certificate = TestCertificates.Create(Wildcard);
        using var files = new CertificateFiles();
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Section(
            [HttpRoute("web", port, web.Url).Match("Domains", new[] { Wildcard }).Terminate("wildcard")],
            new() { ["wildcard"] = files.Pem("wildcard", certificate) }));

        using (var h2 = new LoopbackHttpClient(port, HttpVersion.Version20))
        using (var response = await h2.GetAsync($"https://h2.example.test:{port}/two"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(HttpVersion.Version20, response.Version);
            Assert.Contains("\"backend\":\"web\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Equal([certificate.Thumbprint], h2.ServerThumbprints);
        }

        using (var h1 = new LoopbackHttpClient(port, HttpVersion.Version11))
        using (var response = await h1.GetAsync($"https://h1.example.test:{port}/one"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(HttpVersion.Version11, response.Version);
            Assert.Equal([certificate.Thumbprint], h1.ServerThumbprints);
        }

        await proxy.Logs.WaitForAsync(e => e.Message.StartsWith("HTTP ", StringComparison.Ordinal)
            && e.Message.Contains($" GET h2.example.test:{port}/two HTTP/2 status=200 route=web ", StringComparison.Ordinal));
        await proxy.Logs.WaitForAsync(e => e.Message.StartsWith("HTTP ", StringComparison.Ordinal)
            && e.Message.Contains($" GET h1.example.test:{port}/one HTTP/1.1 status=200 route=web ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Request_for_a_host_of_another_tls_route_on_the_same_connection_gets_421()
    {
        await using var db = new TlsBackend("db", DbName);
        await using var web = await HttpBackend.StartAsync("web");
        using var certificate = TestCertificates.Create(Wildcard);
        using var files = new CertificateFiles();
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Section(
            [ForwardByName("db", port, [DbName], db.Address), HttpRoute("web", port, web.Url).Match("Domains", new[] { Wildcard }).Terminate("wildcard")],
            new() { ["wildcard"] = files.Pem("wildcard", certificate) }));

        // An HTTP/2 client would reuse this connection for every name the wildcard certificate covers; hand-written
        // HTTP/1.1 requests make that reuse explicit and deterministic.
        await using var connection = await RawHttpConnection.OpenTlsAsync(port, "a.example.test", [SslApplicationProtocol.Http11]);
        Assert.Equal(certificate.Thumbprint, connection.ServerThumbprint);
        Assert.Equal(SslApplicationProtocol.Http11, connection.NegotiatedProtocol);

        var own = await connection.SendAsync("GET", "/own", "a.example.test");
        Assert.Equal(200, own.Status);

        var misdirected = await connection.SendAsync("GET", "/db", DbName);
        Assert.Equal(421, misdirected.Status);
        Assert.Contains("Misdirected", misdirected.Body, StringComparison.Ordinal);

        var unknown = await connection.SendAsync("GET", "/other", "www.other.test");
        Assert.Equal(421, unknown.Status);

        // Same certificate and route: the connection is the right one for it.
        var sibling = await connection.SendAsync("GET", "/sibling", $"b.example.test:{port}");
        Assert.Equal(200, sibling.Status);
        Assert.Contains("\"backend\":\"web\"", sibling.Body, StringComparison.Ordinal);
        Assert.Contains("\"path\":\"/sibling\"", sibling.Body, StringComparison.Ordinal);

        Assert.Equal(2, web.Requests);
        Assert.Equal(0, db.Handshakes);
    }

    [Fact]
    public async Task Pem_and_password_protected_pfx_certificates_terminate_tls_and_exact_names_beat_the_wildcard()
    {
        await using var web = await HttpBackend.StartAsync("web");
        using var pem = TestCertificates.Create("pem.example.test");
        using var pfx = TestCertificates.Create("pfx.example.test");
        using var wildcard = TestCertificates.Create(Wildcard);
        using var files = new CertificateFiles();
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Section(
            [
                HttpRoute("pem", port, web.Url).Match("Domains", new[] { "pem.example.test" }).Terminate("pem-cert"),
                HttpRoute("pfx", port, web.Url).Match("Domains", new[] { "pfx.example.test" }).Terminate("pfx-cert"),
                HttpRoute("wildcard", port, web.Url).Match("Domains", new[] { Wildcard }).Terminate("wildcard-cert"),
            ],
            new()
            {
                ["pem-cert"] = files.Pem("pem", pem),
                ["pfx-cert"] = files.Pfx("pfx", pfx, "s3cret-pfx"),
                ["wildcard-cert"] = files.Pem("wildcard", wildcard),
            }));

        Assert.NotEqual(pem.Thumbprint, pfx.Thumbprint);
        await AssertServedWithAsync(port, "pem.example.test", pem.Thumbprint);
        await AssertServedWithAsync(port, "pfx.example.test", pfx.Thumbprint);
        await AssertServedWithAsync(port, "other.example.test", wildcard.Thumbprint);
        await proxy.Logs.WaitForAsync(e => e.Message.StartsWith("HTTP ", StringComparison.Ordinal)
            && e.Message.Contains("pfx.example.test", StringComparison.Ordinal) && e.Message.Contains("route=pfx ", StringComparison.Ordinal));
    }

    private static async Task AssertServedWithAsync(int port, string name, string thumbprint)
    {
        using var client = new LoopbackHttpClient(port);
        var echo = await client.GetEchoAsync($"https://{name}:{port}/");
        Assert.Equal($"{name}:{port}", echo.Header("X-Forwarded-Host"));
        Assert.Equal([thumbprint], client.ServerThumbprints);
    }

    /// <summary>A TLS session with SNI <paramref name="serverName"/>: the certificate seen, the backend's greeting line and
    /// the echo of <paramref name="line"/>.</summary>
    private static async Task<(string? Thumbprint, string[] Lines)> PassthroughAsync(int port, string serverName, string line)
    {
        using var socket = await TestClient.ConnectAsync(port);
        await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false));
        string? thumbprint = null;
        using var timeout = new CancellationTokenSource(TestTimeouts.Io);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = serverName,
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                thumbprint = certificate?.GetCertHashString();
                return certificate is not null;
            },
        }, timeout.Token);

        var greeting = await ReadLineAsync(tls, timeout.Token);
        await tls.WriteAsync(Encoding.ASCII.GetBytes(line), timeout.Token);
        return (thumbprint, [greeting, await ReadLineAsync(tls, timeout.Token)]);
    }

    private static async Task<string> ReadLineAsync(SslStream tls, CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (await tls.ReadAsync(one, cancellationToken) == 1)
        {
            line.Append((char)one[0]);
            if (one[0] == '\n')
            {
                break;
            }
        }

        return line.ToString();
    }
}
