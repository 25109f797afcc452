using System.Net;
using Proxy.Tests.Infrastructure;
using Proxy.Udp;
using static Proxy.Tests.Udp.UdpRoutes;

namespace Proxy.Tests.Udp;

public sealed class UdpFlowTests
{
    [Fact]
    public async Task Idle_flow_expires_with_one_log_line_and_the_next_datagram_opens_a_new_flow()
    {
        await using var backend = new UdpEchoServer();
        var port = UdpPorts.Free();
        await using var proxy = await ProxyTestHost.StartAsync(Section(UdpRoute("idle", port, backend.Address, limits: new { IdleTimeout = "00:00:01" })));
        using var client = new UdpTestClient();

        await client.AssertEchoesAsync(port, Payloads.Text("ping"));
        await client.AssertEchoesAsync(port, Payloads.Text("pong!"));
        Assert.Equal(1, (await UdpAdmin.UdpListenerAsync(proxy, port)).ActiveConnections);

        var (firstEntry, first) = await UdpFlowLog.WaitAsync(proxy, client.LocalEndPoint, "IdleTimeout");
        Assert.Equal(("idle", port, backend.Address), (first.Route, first.Port, first.Target));
        Assert.Equal((2L, 9L, 2L, 9L), (first.DatagramsIn, first.BytesIn, first.DatagramsOut, first.BytesOut));
        Assert.True(first.Milliseconds >= 1000, $"The flow ended after {first.Milliseconds} ms, before its 1 s idle timeout.");
        Assert.Equal(0, (await UdpAdmin.UdpListenerAsync(proxy, port)).ActiveConnections);

        await client.AssertEchoesAsync(port, Payloads.Text("again"));
        Assert.Equal(1, (await UdpAdmin.UdpListenerAsync(proxy, port)).ActiveConnections);

        var (_, second) = await UdpFlowLog.WaitAsync(proxy, client.LocalEndPoint, "IdleTimeout", seen: firstEntry);
        Assert.Equal((1L, 5L, 1L, 5L), (second.DatagramsIn, second.BytesIn, second.DatagramsOut, second.BytesOut));
        Assert.Equal(0, (await UdpAdmin.UdpListenerAsync(proxy, port)).ActiveConnections);
        // One line per flow: exactly two flows, two lines.
        Assert.Equal(2, proxy.Logs.Entries.Count(e => UdpFlowLog.IsFlowOf(e, client.LocalEndPoint)));
    }

    [Fact]
    public async Task Per_ip_flow_cap_drops_a_third_socket_from_the_same_address_and_counts_it()
    {
        await using var backend = new UdpEchoServer();
        var port = UdpPorts.Free();
        await using var proxy = await ProxyTestHost.StartAsync(Section(UdpRoute("per-ip", port, backend.Address, limits: new { MaxConnectionsPerIp = 2 })));
        using var a = new UdpTestClient();
        using var b = new UdpTestClient();
        using var c = new UdpTestClient();
        using var elsewhere = new UdpTestClient(IPAddress.Parse("127.0.0.2"));

        await a.AssertEchoesAsync(port, Payloads.Text("a"));
        await b.AssertEchoesAsync(port, Payloads.Text("b"));
        await c.AssertNoReplyAsync(port, Payloads.Text("c is one flow too many"));
        Assert.Equal(1, proxy.Metrics.UdpDrops(UdpDrop.FlowLimit));

        // The cap is per address: another address still gets a flow, and the first two keep theirs.
        await elsewhere.AssertEchoesAsync(port, Payloads.Text("other address"));
        await a.AssertEchoesAsync(port, Payloads.Text("a again"));
        await b.AssertEchoesAsync(port, Payloads.Text("b again"));
        await c.AssertNoReplyAsync(port, Payloads.Text("c still refused"));

        Assert.Equal(2, proxy.Metrics.UdpDrops(UdpDrop.FlowLimit));
        Assert.Equal(0, proxy.Metrics.UdpDrops(UdpDrop.Acl));
        Assert.Equal(3, backend.Sources.Count);
        Assert.Equal(3, (await UdpAdmin.UdpListenerAsync(proxy, port)).ActiveConnections);
    }

    [Fact]
    public async Task Total_flow_cap_drops_a_new_client_address_beyond_the_limit_and_counts_it()
    {
        await using var backend = new UdpEchoServer();
        var port = UdpPorts.Free();
        await using var proxy = await ProxyTestHost.StartAsync(Section(UdpRoute("total", port, backend.Address, limits: new { MaxConnections = 3 })));
        var clients = new[] { "127.0.0.2", "127.0.0.3", "127.0.0.4" }.Select(a => new UdpTestClient(IPAddress.Parse(a))).ToArray();
        using var extra = new UdpTestClient(IPAddress.Parse("127.0.0.5"));
        try
        {
            foreach (var client in clients)
            {
                await client.AssertEchoesAsync(port, Payloads.Text($"from {client.LocalEndPoint}"));
            }

            await extra.AssertNoReplyAsync(port, Payloads.Text("a fourth flow"));
            Assert.Equal(1, proxy.Metrics.UdpDrops(UdpDrop.FlowLimit));

            foreach (var client in clients)
            {
                await client.AssertEchoesAsync(port, Payloads.Text($"again from {client.LocalEndPoint}"));
            }

            Assert.Equal(1, proxy.Metrics.UdpDrops(UdpDrop.FlowLimit));
            Assert.Equal(3, backend.Sources.Count);
            Assert.Equal(3, (await UdpAdmin.UdpListenerAsync(proxy, port)).ActiveConnections);
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    [Fact]
    public async Task Flow_cap_frees_its_slot_when_a_flow_expires()
    {
        await using var backend = new UdpEchoServer();
        var port = UdpPorts.Free();
        await using var proxy = await ProxyTestHost.StartAsync(Section(
            UdpRoute("one-slot", port, backend.Address, limits: new { MaxConnections = 1, IdleTimeout = "00:00:03" })));
        using var first = new UdpTestClient();
        using var second = new UdpTestClient(IPAddress.Parse("127.0.0.2"));

        await first.AssertEchoesAsync(port, Payloads.Text("first"));
        await second.AssertNoReplyAsync(port, Payloads.Text("second waits"));
        Assert.Equal(1, proxy.Metrics.UdpDrops(UdpDrop.FlowLimit));

        await UdpFlowLog.WaitAsync(proxy, first.LocalEndPoint, "IdleTimeout");
        await second.AssertEchoesAsync(port, Payloads.Text("second gets the slot"));
        Assert.Equal(1, proxy.Metrics.UdpDrops(UdpDrop.FlowLimit));
    }
}
