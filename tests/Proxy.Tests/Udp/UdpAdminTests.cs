using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Proxy.Tests.Infrastructure;
using Proxy.Udp;
using static Proxy.Tests.Udp.UdpRoutes;

namespace Proxy.Tests.Udp;

public sealed class UdpAdminTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Admin_api_creates_a_udp_route_that_answers_at_once_and_deletes_it_so_it_stops(bool pascalCase)
    {
        await using var backend = new UdpEchoServer();
        var port = UdpPorts.Free();
        await using var proxy = await ProxyTestHost.StartAsync(Section());
        using var admin = UdpAdmin.Client(proxy);
        var p = port.ToString(CultureInfo.InvariantCulture);
        var body = pascalCase
            ? $$"""{ "Id": "udp-api", "Match": { "Ports": ["{{p}}"], "Transport": "Udp" }, "Action": { "Type": "Forward", "Targets": ["{{backend.Address}}"] }, "Limits": { "IdleTimeout": "00:00:30" } }"""
            : $$"""{ "id": "udp-api", "match": { "ports": [{{p}}], "transport": "Udp" }, "action": { "type": "Forward", "targets": ["{{backend.Address}}"], "loadBalancing": "RoundRobin" } }""";

        using (var content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json")))
        using (var created = await admin.PostAsync(new Uri("/api/routes", UriKind.Relative), content))
        {
            Assert.True(created.StatusCode == HttpStatusCode.Created, $"POST: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
        }

        using var client = new UdpTestClient();
        await client.AssertEchoesAsync(port, Payloads.Text("answers as soon as it is created"));
        var listener = await UdpAdmin.UdpListenerAsync(proxy, port);
        Assert.Equal(["udp-api"], listener.Routes);

        using (var deleted = await admin.DeleteAsync(new Uri("/api/routes/udp-api", UriKind.Relative)))
        {
            Assert.True(deleted.StatusCode == HttpStatusCode.NoContent, $"DELETE: {(int)deleted.StatusCode} {await deleted.Content.ReadAsStringAsync()}");
        }

        await client.AssertNoReplyAsync(port, Payloads.Text("silent once deleted"));
        Assert.True(UdpPorts.CanBindUdp(port), $"UDP port {port} is still held after its route was deleted.");
        Assert.DoesNotContain(await UdpAdmin.ListenersAsync(proxy), l => l.Transport == "udp");
    }

    [Fact]
    public async Task Metrics_and_listeners_report_udp_flows_and_drops_per_port()
    {
        await using var backend = new UdpEchoServer();
        var port = UdpPorts.Free();
        await using var proxy = await ProxyTestHost.StartAsync(SectionWithAcl(new { Deny = new[] { "127.0.0.9" } }, UdpRoute("counted", port, backend.Address)));
        using var first = new UdpTestClient();
        using var second = new UdpTestClient(IPAddress.Parse("127.0.0.2"));
        using var denied = new UdpTestClient(IPAddress.Parse("127.0.0.9"));

        await first.AssertEchoesAsync(port, Payloads.Text("one"));
        await second.AssertEchoesAsync(port, Payloads.Text("two"));
        await denied.AssertNoReplyAsync(port, Payloads.Text("dropped"));
        Assert.Equal(1, proxy.Metrics.UdpDrops(UdpDrop.Acl));

        var metrics = (await UdpAdmin.MetricsAsync(proxy)).Split('\n');
        Assert.Contains("# TYPE proxy_udp_flows_active gauge", metrics);
        Assert.Contains($"proxy_udp_flows_active{{port=\"{port}\"}} 2", metrics);
        Assert.Contains("# TYPE proxy_udp_datagrams_dropped_total counter", metrics);
        Assert.Contains("proxy_udp_datagrams_dropped_total{reason=\"Acl\"} 1", metrics);
        Assert.Contains("proxy_udp_datagrams_dropped_total{reason=\"FlowLimit\"} 0", metrics);
        Assert.Contains("proxy_udp_datagrams_dropped_total{reason=\"TargetUnavailable\"} 0", metrics);
        Assert.True(Array.IndexOf(metrics, "# TYPE proxy_udp_flows_active gauge") < Array.FindIndex(metrics, l => l.StartsWith("proxy_udp_flows_active{", StringComparison.Ordinal)),
            "The # TYPE line must come before the family's samples.");

        var listener = await UdpAdmin.UdpListenerAsync(proxy, port);
        Assert.Equal("udp", listener.Transport);
        Assert.Equal("127.0.0.1", listener.BindAddress);
        Assert.Equal(["counted"], listener.Routes);
        Assert.Equal(2, listener.ActiveConnections);
        Assert.False(listener.TerminatesTls);
    }
}
