using System.Diagnostics;
using System.Globalization;
using System.Net;
using Proxy.Tests.Infrastructure;
using static Proxy.Tests.Udp.UdpRoutes;

namespace Proxy.Tests.Udp;

public sealed class UdpDnsTests
{
    [Fact]
    public async Task Raw_dns_queries_from_several_clients_through_the_udp_route_get_the_responders_a_record()
    {
        await using var responder = new DnsResponder();
        var port = UdpPorts.Free();
        await using var proxy = await ProxyTestHost.StartAsync(Section(UdpRoute("dns", port, responder.Address)));
        string[] names = ["example.test", "a.example.test", "www.other.test"];

        await Task.WhenAll(names.Select(async (name, i) =>
        {
            using var client = new UdpTestClient(IPAddress.Parse($"127.0.0.{i + 1}"));
            var id = (ushort)(0x4000 + i);
            var response = DnsPacket.Read(await client.ExchangeAsync(port, DnsPacket.Query(id, name)));

            Assert.Equal(id, response.Id);
            Assert.True(response.IsResponse);
            Assert.Equal(0, response.ResponseCode);
            Assert.Equal(name, response.Question);
            Assert.Equal([DnsResponder.Answer], response.Addresses);
        }));

        Assert.Equal(names.Order(StringComparer.Ordinal), responder.Questions.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Garbage_datagrams_do_not_stop_the_dns_route()
    {
        await using var responder = new DnsResponder();
        var port = UdpPorts.Free();
        await using var proxy = await ProxyTestHost.StartAsync(Section(UdpRoute("dns", port, responder.Address)));
        using var garbage = new UdpTestClient();
        foreach (var size in new[] { 0, 1, 2, 11, 12, 13, 100, 512, 4096, 65_000 })
        {
            await garbage.SendAsync(port, Payloads.Random(size));
        }

        // A query with a truncated question and one with a compression pointer loop: both ignored by the responder.
        await garbage.SendAsync(port, DnsPacket.Query(1, "cut.test").AsMemory(0, 20));
        byte[] loop = [0, 2, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1];
        await garbage.SendAsync(port, loop);

        using var client = new UdpTestClient();
        var response = DnsPacket.Read(await client.ExchangeAsync(port, DnsPacket.Query(0x7777, "after.garbage.test")));
        Assert.Equal(0x7777, response.Id);
        Assert.Equal([DnsResponder.Answer], response.Addresses);
    }

    [DigFact]
    public async Task Dig_resolves_a_name_through_the_udp_route()
    {
        await using var responder = new DnsResponder();
        var port = UdpPorts.Free();
        await using var proxy = await ProxyTestHost.StartAsync(Section(UdpRoute("dns", port, responder.Address)));

        var start = new ProcessStartInfo(DigFactAttribute.DigPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "@127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "example.test", "+short", "+tries=1", "+time=5" })
        {
            start.ArgumentList.Add(argument);
        }

        using var dig = Process.Start(start) ?? throw new InvalidOperationException("dig did not start.");
        var output = dig.StandardOutput.ReadToEndAsync();
        var errors = dig.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TestTimeouts.Io);
        try
        {
            await dig.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            dig.Kill(entireProcessTree: true);
            throw;
        }

        var stdout = await output;
        Assert.True(dig.ExitCode == 0, $"dig exited with {dig.ExitCode}: {stdout} {await errors}");
        Assert.Equal("192.0.2.1", stdout.Trim());
        Assert.Contains("example.test", responder.Questions);
    }
}
