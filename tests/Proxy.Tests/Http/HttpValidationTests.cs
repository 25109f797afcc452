using Proxy.Tests.Infrastructure;
using static Proxy.Tests.Http.HttpRoutes;

namespace Proxy.Tests.Http;

/// <summary>Invalid HTTP routes are refused whole, at start and on reload, with every error named.</summary>
public sealed class HttpValidationTests
{
    [Fact]
    public async Task HashCookie_affinity_an_unknown_certificate_and_a_bad_target_are_all_reported_at_start()
    {
        await using var backend = await HttpBackend.StartAsync("a");
        var plain = TestClient.FreePort();
        var tls = TestClient.FreePort();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => ProxyTestHost.StartAsync(Section(
        [
            HttpRoute("affinity", plain, backend.Url).Match("Path", "/sticky/{**rest}").Action("SessionAffinity", new { Policy = "HashCookie" }),
            HttpRoute("nocert", tls, backend.Url).Match("Domains", new[] { "secure.example.test" }).Terminate("missing"),
            HttpRoute("badtarget", plain, "ftp://127.0.0.1:21").Match("Path", "/files/{**rest}"),
        ])));

        Assert.Contains("Route 'affinity': Action.SessionAffinity.Policy: HashCookie", error.Message, StringComparison.Ordinal);
        Assert.Contains("Route 'nocert': Action.Tls.Certificate:", error.Message, StringComparison.Ordinal);
        Assert.Contains("'missing'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Route 'badtarget': Action.Targets[0]:", error.Message, StringComparison.Ordinal);
        Assert.Contains("ftp://127.0.0.1:21", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reload_to_HashCookie_affinity_is_rejected_and_the_old_route_keeps_serving()
    {
        await using var backend = await HttpBackend.StartAsync("a");
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Section([HttpRoute("web", port, backend.Url)]));

        Assert.False(await proxy.ReloadAsync(Section([HttpRoute("web", port, backend.Url).Action("SessionAffinity", new { Policy = "HashCookie" })])));

        await proxy.Logs.WaitForAsync(e => e.Message.Contains("route web, field Action.SessionAffinity.Policy: HashCookie", StringComparison.Ordinal));
        using var client = new LoopbackHttpClient(port);
        Assert.Equal("a", (await client.GetEchoAsync($"http://app.example.test:{port}/")).Backend);
    }

    [Fact]
    public async Task A_port_cannot_mix_tls_terminating_and_plain_http_routes()
    {
        using var certificate = TestCertificates.Create("secure.example.test");
        using var files = new CertificateFiles();
        var port = TestClient.FreePort();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => ProxyTestHost.StartAsync(Section(
            [
                HttpRoute("secure", port, "http://127.0.0.1:8080").Match("Domains", new[] { "secure.example.test" }).Terminate("secure"),
                HttpRoute("plain", port, "http://127.0.0.1:8080").Match("Domains", new[] { "plain.example.test" }),
            ],
            new() { ["secure"] = files.Pem("secure", certificate) })));

        Assert.Contains($"Port {port} mixes HTTP routes that terminate TLS with plain HTTP routes", error.Message, StringComparison.Ordinal);
    }
}
