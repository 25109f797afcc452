using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Proxy.Tests.Infrastructure;
using static Proxy.Tests.Udp.UdpRoutes;

namespace Proxy.Tests.Udp;

public sealed class UdpEchoTests
{
    private const int Rounds = 5;

    [Fact]
    public async Task Twenty_clients_at_once_each_get_exactly_their_own_replies_from_the_listening_port()
    {
        await using var backend = new UdpEchoServer();
        var port = UdpPorts.Free();
        await using var proxy = await ProxyTestHost.StartAsync(Section(UdpRoute("echo", port, backend.Address)));
        var clients = Enumerable.Range(0, 20).Select(_ => new UdpTestClient()).ToArray();
        try
        {
            await Task.WhenAll(clients.Select((client, i) => ExchangeRoundsAsync(client, i, port)));

            // Every reply went to its own client: the backend echoed exactly what the clients received, and none is left over.
            Assert.Equal(clients.Length * Rounds, backend.Datagrams);
            Assert.All(clients, c => Assert.Equal(0, c.Socket.Available));
            // One flow (a connected socket of its own) per client.
            Assert.Equal(clients.Length, backend.Sources.Count);
            Assert.All(backend.Sources.Values, count => Assert.Equal(Rounds, count));
            Assert.Equal(clients.Length, (await UdpAdmin.UdpListenerAsync(proxy, port)).ActiveConnections);
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    private static async Task ExchangeRoundsAsync(UdpTestClient client, int index, int port)
    {
        for (var round = 0; round < Rounds; round++)
        {
            // Distinct content and length per client and round.
            var payload = Payloads.Text($"client {index} round {round} {Guid.NewGuid():N} {new string('x', (index * 37) + round)}");
            await client.SendAsync(port, payload);
            var reply = await client.ReceiveAsync();
            Assert.Equal(new IPEndPoint(IPAddress.Loopback, port), reply.From);
            Assert.Equal(payload, reply.Data);
        }
    }

    [Fact]
    public async Task Round_robin_spreads_new_flows_over_the_targets_and_each_flow_sticks_to_its_target()
    {
        await using var first = new UdpEchoServer();
        await using var second = new UdpEchoServer();
        var port = UdpPorts.Free();
        await using var proxy = await ProxyTestHost.StartAsync(Section(
            UdpRoute("balanced", port, [first.Address, second.Address], loadBalancing: "RoundRobin")));

        for (var i = 0; i < 4; i++)
        {
            using var client = new UdpTestClient();
            for (var round = 0; round < 3; round++)
            {
                await client.AssertEchoesAsync(port, Payloads.Text($"client {i} round {round}"));
            }
        }

        Assert.Equal(2, first.Sources.Count);
        Assert.Equal(2, second.Sources.Count);
        Assert.All(first.Sources.Values.Concat(second.Sources.Values), count => Assert.Equal(3, count));
    }

    [Fact]
    public async Task Target_named_by_host_name_is_resolved_when_a_flow_opens()
    {
        await using var backend = new UdpEchoServer();
        var port = UdpPorts.Free();
        await using var proxy = await ProxyTestHost.StartAsync(Section(UdpRoute("by-name", port, $"localhost:{backend.Port}")));
        using var client = new UdpTestClient();

        await client.AssertEchoesAsync(port, Payloads.Text("via localhost"));
        await client.AssertEchoesAsync(port, Payloads.Text("same flow"));

        Assert.Equal(2, Assert.Single(backend.Sources).Value);
    }

    [Theory]
    [InlineData(65_000)]
    [InlineData(65_507)] // The largest IPv4 UDP payload.
    public async Task Datagram_of_64_KiB_round_trips_intact(int length)
    {
        await using var backend = new UdpEchoServer();
        var port = UdpPorts.Free();
        await using var proxy = await ProxyTestHost.StartAsync(Section(UdpRoute("big", port, backend.Address)));
        using var client = new UdpTestClient();

        var payload = Payloads.Random(length);
        var reply = await client.ExchangeAsync(port, payload);

        Assert.Equal(length, reply.Length);
        Assert.True(payload.AsSpan().SequenceEqual(reply), "The 64 KiB datagram came back altered.");
        await client.AssertEchoesAsync(port, Payloads.Text("small after big"));
    }

    [Fact]
    public async Task Garbage_datagrams_of_any_size_from_several_sources_never_stop_the_port()
    {
        await using var backend = new UdpEchoServer();
        var port = UdpPorts.Free();
        await using var proxy = await ProxyTestHost.StartAsync(Section(UdpRoute("garbage", port, backend.Address)));
        string[] sources = ["127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"];

        await Task.WhenAll(sources.Select(async (source, i) =>
        {
            // Half the senders go away at once, so the proxy's replies to them hit closed ports.
            using var sender = new UdpTestClient(IPAddress.Parse(source));
            int[] sizes = [0, 1, 0, 1, 2, 3, 12, 512, 1472, 1473, 8192, 65_000];
            foreach (var size in sizes.Concat(Enumerable.Range(0, 20).Select(_ => Random.Shared.Next(0, 4096))))
            {
                await sender.SendAsync(port, Payloads.Random(size));
            }

            if (i % 2 == 0)
            {
                // Drain a few echoes so some flows see both directions, without waiting for all (UDP may drop under the blast).
                for (var n = 0; n < 3 && await sender.TryReceiveAsync(TimeSpan.FromMilliseconds(500)) is not null; n++)
                {
                }
            }
        }));

        using var fresh = new UdpTestClient();
        await fresh.AssertEchoesAsync(port, Payloads.Text("well-formed after garbage"));
        using var other = new UdpTestClient(IPAddress.Parse("127.0.0.5"));
        await other.AssertEchoesAsync(port, Payloads.Text("another well-formed one"));
        await fresh.AssertEchoesAsync(port, Array.Empty<byte>());
        await fresh.AssertEchoesAsync(port, Payloads.Random(1));
        Assert.DoesNotContain(proxy.Logs.Entries, e => e.Category == "Proxy.Udp" && e.Level >= LogLevel.Warning);
    }
}
