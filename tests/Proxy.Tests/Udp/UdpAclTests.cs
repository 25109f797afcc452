using System.Net;
using Proxy.Tests.Infrastructure;
using Proxy.Udp;
using static Proxy.Tests.Udp.UdpRoutes;

namespace Proxy.Tests.Udp;

public sealed class UdpAclTests
{
    [Theory]
    [InlineData("global")]
    [InlineData("route")]
    public async Task Denied_source_gets_nothing_and_each_datagram_is_counted_while_other_clients_are_served(string where)
    {
        await using var backend = new UdpEchoServer();
        var port = UdpPorts.Free();
        var deny = new { Deny = new[] { "127.0.0.9" } };
        var section = where == "global"
            ? SectionWithAcl(deny, UdpRoute("acl", port, backend.Address))
            : Section(UdpRoute("acl", port, [backend.Address], acl: deny));
        await using var proxy = await ProxyTestHost.StartAsync(section);
        using var allowed = new UdpTestClient();
        using var denied = new UdpTestClient(IPAddress.Parse("127.0.0.9"));
        using var neighbour = new UdpTestClient(IPAddress.Parse("127.0.0.10"));

        await allowed.AssertEchoesAsync(port, Payloads.Text("allowed"));
        await denied.AssertNoReplyAsync(port, Payloads.Text("denied"));
        Assert.Equal(1, proxy.Metrics.UdpDrops(UdpDrop.Acl));
        await neighbour.AssertEchoesAsync(port, Payloads.Text("neighbour"));
        await denied.AssertNoReplyAsync(port, Payloads.Text("denied again"));
        await allowed.AssertEchoesAsync(port, Payloads.Text("allowed again"));

        Assert.Equal(2, proxy.Metrics.UdpDrops(UdpDrop.Acl));
        Assert.Equal(0, proxy.Metrics.UdpDrops(UdpDrop.FlowLimit));
        Assert.DoesNotContain(backend.Sources.Keys, s => s.Port == denied.LocalEndPoint.Port);
        Assert.Equal(2, backend.Sources.Count);
        Assert.Equal(2, (await UdpAdmin.UdpListenerAsync(proxy, port)).ActiveConnections);
    }

    [Fact]
    public async Task Route_acl_allow_list_drops_every_source_outside_it()
    {
        await using var backend = new UdpEchoServer();
        var port = UdpPorts.Free();
        await using var proxy = await ProxyTestHost.StartAsync(Section(
            UdpRoute("allow", port, [backend.Address], acl: new { Allow = new[] { "127.0.0.0/30" }, Deny = new[] { "127.0.0.2" } })));
        using var inside = new UdpTestClient(IPAddress.Parse("127.0.0.3"));
        using var denied = new UdpTestClient(IPAddress.Parse("127.0.0.2"));
        using var outside = new UdpTestClient(IPAddress.Parse("127.0.0.4"));

        await inside.AssertEchoesAsync(port, Payloads.Text("inside"));
        await denied.AssertNoReplyAsync(port, Payloads.Text("deny wins over allow"));
        await outside.AssertNoReplyAsync(port, Payloads.Text("outside the allow list"));

        Assert.Equal(2, proxy.Metrics.UdpDrops(UdpDrop.Acl));
        Assert.Single(backend.Sources);
    }

    [Fact]
    public async Task ClientIps_restricts_the_route_to_listed_sources_and_counts_the_others_as_acl_drops()
    {
        await using var backend = new UdpEchoServer();
        var port = UdpPorts.Free();
        await using var proxy = await ProxyTestHost.StartAsync(Section(
            UdpRoute("listed", port, [backend.Address], clientIps: ["127.0.0.1", "127.0.0.2/32"])));
        using var first = new UdpTestClient();
        using var second = new UdpTestClient(IPAddress.Parse("127.0.0.2"));
        using var unlisted = new UdpTestClient(IPAddress.Parse("127.0.0.3"));

        await first.AssertEchoesAsync(port, Payloads.Text("listed one"));
        await unlisted.AssertNoReplyAsync(port, Payloads.Text("not listed"));
        await second.AssertEchoesAsync(port, Payloads.Text("listed two"));

        Assert.Equal(1, proxy.Metrics.UdpDrops(UdpDrop.Acl));
        Assert.Equal(2, backend.Sources.Count);
    }
}
