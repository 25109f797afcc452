using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using Proxy.Tests.Infrastructure;
using static Proxy.Tests.Http.HttpRoutes;

namespace Proxy.Tests.Http;

/// <summary>A certificate renewed on disk is served to the next handshakes without a restart or a configuration change:
/// rewritten in place, or repointed as certbot does; a renewal that does not load keeps the last good certificate.</summary>
public sealed class CertificateRenewalTests
{
    private const string Wildcard = "*.example.test";

    [Fact]
    public async Task A_certificate_rewritten_in_place_is_served_once_it_loads_and_a_broken_write_keeps_the_old_one()
    {
        await using var web = await HttpBackend.StartAsync("web");
        using var first = TestCertificates.Create(Wildcard);
        using var renewed = TestCertificates.Create(Wildcard);
        using var files = new CertificateFiles();
        var port = TestClient.FreePort();
        await using var proxy = await StartAsync(port, web, files.Pem("wildcard", first));
        Assert.Equal(first.Thumbprint, await ServedThumbprintAsync(port));

        await File.WriteAllTextAsync(files.PathOf("wildcard.crt"), "-----BEGIN CERTIFICATE-----\ntruncated");
        await proxy.Logs.WaitForAsync(e => e.Message.StartsWith("Configuration error: route -, field Certificates:wildcard.Path", StringComparison.Ordinal));
        await proxy.Logs.WaitForAsync(e => e.Message.StartsWith("Configuration change rejected", StringComparison.Ordinal));
        Assert.Equal(first.Thumbprint, await ServedThumbprintAsync(port));

        files.Pem("wildcard", renewed);
        await RenewedAsync(proxy);
        Assert.Equal(renewed.Thumbprint, await ServedThumbprintAsync(port));
    }

    [Fact]
    public async Task A_certificate_repointed_through_symlinks_like_certbot_renewals_is_served()
    {
        await using var web = await HttpBackend.StartAsync("web");
        using var first = TestCertificates.Create(Wildcard);
        using var renewed = TestCertificates.Create(Wildcard);
        using var files = new CertificateFiles();
        // certbot: archive/ holds every issue (cert1.pem, cert2.pem, ...), live/ links to the latest.
        var live = Directory.CreateDirectory(files.PathOf("live")).FullName;
        files.Pem("archive1", first);
        var cert = Path.Combine(live, "cert.pem");
        var key = Path.Combine(live, "privkey.pem");
        File.CreateSymbolicLink(cert, files.PathOf("archive1.crt"));
        File.CreateSymbolicLink(key, files.PathOf("archive1.key"));
        var port = TestClient.FreePort();
        await using var proxy = await StartAsync(port, web, new { Path = cert, KeyPath = key });
        Assert.Equal(first.Thumbprint, await ServedThumbprintAsync(port));

        files.Pem("archive2", renewed);
        foreach (var (link, target) in new[] { (cert, "archive2.crt"), (key, "archive2.key") })
        {
            File.Delete(link);
            File.CreateSymbolicLink(link, files.PathOf(target));
        }

        await RenewedAsync(proxy);
        Assert.Equal(renewed.Thumbprint, await ServedThumbprintAsync(port));
        Assert.Equal(2, web.Requests);
    }

    [Fact]
    public async Task A_kubernetes_secret_volume_swapping_its_data_link_serves_the_new_certificate()
    {
        await using var web = await HttpBackend.StartAsync("web");
        using var first = TestCertificates.Create(Wildcard);
        using var renewed = TestCertificates.Create(Wildcard);
        using var files = new CertificateFiles();
        // The kubelet's atomic writer: tls.crt -> ..data/tls.crt, ..data -> ..<timestamp>/, swapped by a rename.
        var volume = Directory.CreateDirectory(files.PathOf("secret")).FullName;
        WriteVersion(files, volume, "..v1", first);
        Directory.CreateSymbolicLink(Path.Combine(volume, "..data"), "..v1");
        File.CreateSymbolicLink(Path.Combine(volume, "tls.crt"), "..data/tls.crt");
        File.CreateSymbolicLink(Path.Combine(volume, "tls.key"), "..data/tls.key");
        var port = TestClient.FreePort();
        await using var proxy = await StartAsync(port, web, new { Path = Path.Combine(volume, "tls.crt"), KeyPath = Path.Combine(volume, "tls.key") });
        Assert.Equal(first.Thumbprint, await ServedThumbprintAsync(port));

        WriteVersion(files, volume, "..v2", renewed);
        Directory.CreateSymbolicLink(Path.Combine(volume, "..data_tmp"), "..v2");
        using (var rename = Process.Start("mv", ["-T", Path.Combine(volume, "..data_tmp"), Path.Combine(volume, "..data")])) // rename(2)
        {
            await rename.WaitForExitAsync();
            Assert.Equal(0, rename.ExitCode);
        }

        await RenewedAsync(proxy);
        Assert.Equal(renewed.Thumbprint, await ServedThumbprintAsync(port));
    }

    private static void WriteVersion(CertificateFiles files, string volume, string version, X509Certificate2 certificate)
    {
        var entry = Path.Combine(volume, version);
        Directory.CreateDirectory(entry);
        files.Pem(version, certificate);
        File.Move(files.PathOf(version + ".crt"), Path.Combine(entry, "tls.crt"));
        File.Move(files.PathOf(version + ".key"), Path.Combine(entry, "tls.key"));
    }

    /// <summary>The proxy with one TLS-terminating route for the wildcard names, its certificate the given entry.</summary>
    private static Task<ProxyTestHost> StartAsync(int port, HttpBackend web, object certificate)
        => ProxyTestHost.StartAsync(Section(
            [HttpRoute("web", port, web.Url).Match("Domains", new[] { Wildcard }).Terminate("wildcard")],
            new() { ["wildcard"] = certificate }));

    private static Task<LogEntry> RenewedAsync(ProxyTestHost proxy)
        => proxy.Logs.WaitForAsync(e => e.Message.StartsWith("Certificate file ", StringComparison.Ordinal)
            && e.Message.Contains("certificates reloaded", StringComparison.Ordinal));

    /// <summary>The thumbprint of the certificate a new connection is served (and that the request behind it works).</summary>
    private static async Task<string> ServedThumbprintAsync(int port)
    {
        using var client = new LoopbackHttpClient(port);
        var echo = await client.GetEchoAsync($"https://a.example.test:{port}/");
        Assert.Equal("web", echo.Backend);
        return Assert.Single(client.ServerThumbprints);
    }
}
