using System.Net;
using System.Net.Sockets;
using Proxy.Tests.Infrastructure;
using static Proxy.Tests.Infrastructure.TestRoutes;

namespace Proxy.Tests.Forwarding;

public sealed class LoadBalancingTests
{
    private static object Balanced(int port, string policy, params TcpBackend[] backends) => new
    {
        Routes = new[]
        {
            new
            {
                Id = "lb",
                Match = new { Ports = new[] { Port(port) } },
                Action = new { Type = "Forward", Targets = backends.Select(b => b.Address).ToArray(), LoadBalancing = policy },
            },
        },
    };

    private static async Task<string> NameOfBackendAsync(int port, IPAddress? from = null)
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (from is not null)
        {
            client.Bind(new IPEndPoint(from, 0));
        }

        await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        return await client.ReadTextAsync(1);
    }

    [Fact]
    public async Task Round_robin_takes_each_target_in_turn()
    {
        await using var a = TcpBackend.Greeting("a");
        await using var b = TcpBackend.Greeting("b");
        await using var c = TcpBackend.Greeting("c");
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Balanced(port, "RoundRobin", a, b, c));

        var seen = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            seen.Add(await NameOfBackendAsync(port));
        }

        Assert.Equal(seen[..3], seen[3..]);
        Assert.Equal(["a", "b", "c"], seen[..3].Order());
    }

    [Fact]
    public async Task Least_connections_avoids_the_target_holding_a_connection()
    {
        await using var a = TcpBackend.Greeting("a");
        await using var b = TcpBackend.Greeting("b");
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Balanced(port, "LeastConnections", a, b));

        // Three open connections split 2:1; the fourth must go to the target holding one. Each stays open, so the
        // counts are exact (a connection that just closed could still be counted for a moment).
        var held = new List<Socket>();
        var names = new List<string>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                held.Add(await TestClient.ConnectAsync(port));
                names.Add(await held[^1].ReadTextAsync(1));
            }
        }
        finally
        {
            held.ForEach(s => s.Dispose());
        }

        var lighter = names[..3].Count(n => n == "a") < names[..3].Count(n => n == "b") ? "a" : "b";
        Assert.NotEqual(names[0], names[1]);
        Assert.Equal(lighter, names[3]);
    }

    [Fact]
    public async Task Random_uses_every_target()
    {
        await using var a = TcpBackend.Greeting("a");
        await using var b = TcpBackend.Greeting("b");
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Balanced(port, "Random", a, b));

        var seen = new HashSet<string>();
        for (var i = 0; i < 64 && seen.Count < 2; i++)
        {
            seen.Add(await NameOfBackendAsync(port));
        }

        Assert.Equal(2, seen.Count);
    }

    [Fact]
    public async Task Client_ip_hash_keeps_each_client_on_one_target_and_spreads_clients()
    {
        await using var a = TcpBackend.Greeting("a");
        await using var b = TcpBackend.Greeting("b");
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Balanced(port, "ClientIpHash", a, b));

        var chosen = new HashSet<string>();
        for (var host = 1; host <= 16; host++)
        {
            var client = IPAddress.Parse($"127.0.0.{host}");
            var first = await NameOfBackendAsync(port, client);
            for (var i = 0; i < 3; i++)
            {
                Assert.Equal(first, await NameOfBackendAsync(port, client));
            }

            chosen.Add(first);
        }

        Assert.Equal(2, chosen.Count);
    }
}
