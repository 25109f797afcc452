using Proxy.Tests.Infrastructure;
using static Proxy.Tests.Http.HttpRoutes;

namespace Proxy.Tests.Tls;

/// <summary>Routing by the ALPN protocols of the ClientHello (<c>Match.Alpn</c>), with openssl as the client: the ACME
/// TLS-ALPN-01 case, where challenges (<c>acme-tls/1</c>) pass through to the ACME client that answers them while every
/// other handshake for the same names is terminated by the proxy.</summary>
public sealed class AlpnRoutingTests
{
    private const string Name = "www.example.test";

    [Fact]
    public async Task Acme_tls_challenges_pass_through_to_their_backend_beside_tls_termination_for_the_same_names()
    {
        await using var acme = new TlsBackend("acme", Name);
        await using var web = await HttpBackend.StartAsync("web");
        using var certificate = TestCertificates.Create("*.example.test");
        using var files = new CertificateFiles();
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Section(
            [
                ForwardByName("acme", port, ["*.example.test"], acme.Address).Match("Alpn", new[] { "acme-tls/1" }),
                HttpRoute("web", port, web.Url).Match("Domains", new[] { "*.example.test" }).Terminate("wildcard"),
            ],
            new() { ["wildcard"] = files.Pem("wildcard", certificate) }));

        var (exitCode, output) = await OpenSslClient.SClientAsync(port, Name, "-alpn", "acme-tls/1");

        Assert.True(exitCode == 0, $"openssl exited with {exitCode}:\n{output}");
        Assert.Equal(OpenSslClient.PemBody(acme.Certificate.ExportCertificatePem()), OpenSslClient.PemBody(output));
        await acme.WaitForHandshakesAsync(1);
        await proxy.Logs.WaitForConnectionAsync("Completed", "acme");

        foreach (var alpn in new[] { "h2", "http/1.1" })
        {
            (exitCode, output) = await OpenSslClient.SClientAsync(port, Name, "-alpn", alpn);

            Assert.True(exitCode == 0, $"openssl exited with {exitCode}:\n{output}");
            Assert.Equal(OpenSslClient.PemBody(certificate.ExportCertificatePem()), OpenSslClient.PemBody(output));
            Assert.Contains($"ALPN protocol: {alpn}", output, StringComparison.Ordinal);
        }

        Assert.Equal(1, acme.Handshakes);
    }

    [Fact]
    public async Task A_client_offering_no_protocol_a_route_names_is_refused_with_an_alert_when_no_other_route_matches()
    {
        await using var acme = new TlsBackend("acme", Name);
        var port = TestClient.FreePort();
        // No Domains: naming a protocol alone makes the port read the ClientHello before choosing.
        await using var proxy = await ProxyTestHost.StartAsync(Section(
            [new { Id = "acme", Match = new { Ports = new[] { port }, Alpn = new[] { "acme-tls/1" } }, Action = new { Type = "Forward", Targets = new[] { acme.Address } } }]));

        var (exitCode, output) = await OpenSslClient.SClientAsync(port, Name, "-alpn", "h2");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("unrecognized name", output, StringComparison.Ordinal);
        await proxy.Logs.WaitForConnectionAsync("NoRoute");
        Assert.Equal(0, acme.Handshakes);
    }

    [Fact]
    public async Task Alpn_on_an_http_route_is_a_validation_error()
    {
        var section = Section([HttpRoute("web", TestClient.FreePort(), "http://127.0.0.1:9").Match("Alpn", new[] { "h2" })]);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => ProxyTestHost.StartAsync(section));

        Assert.Contains("Route 'web': Match.Alpn:", error.Message, StringComparison.Ordinal);
    }
}
