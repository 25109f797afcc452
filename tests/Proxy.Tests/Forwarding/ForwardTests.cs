using System.Net.Sockets;
using System.Text;
using Proxy.Tests.Infrastructure;
using static Proxy.Tests.Infrastructure.TestRoutes;

namespace Proxy.Tests.Forwarding;

public sealed class ForwardTests
{
    [Fact]
    public async Task Forward_route_relays_both_ways_to_an_echo_backend()
    {
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Routes(Forward("echo", port, backend.Address)));

        using var client = await TestClient.ConnectAsync(port);
        var payload = new byte[1024 * 1024];
        Random.Shared.NextBytes(payload);
        var echoed = client.ReadToEndAsync();
        await client.SendAsync(payload, SocketFlags.None);
        client.Shutdown(SocketShutdown.Send);

        Assert.Equal(payload, await echoed);
        var summary = await proxy.Logs.WaitForConnectionAsync("Completed", "echo");
        Assert.Contains($"in={payload.Length} out={payload.Length}", summary.Message, StringComparison.Ordinal);
        Assert.Contains($"target={backend.Address}", summary.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_speaks_first_backend_is_heard_before_the_client_sends_anything()
    {
        const string Banner = "220 smtp.example.test ESMTP\r\n";
        await using var backend = TcpBackend.Greeting(Banner);
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Routes(Forward("smtp", port, backend.Address)));

        using var client = await TestClient.ConnectAsync(port);

        Assert.Equal(Banner, await client.ReadTextAsync(Banner.Length));
    }

    [Fact]
    public async Task Client_half_close_still_gets_the_whole_response()
    {
        // The backend answers only after the request's FIN, like `nc -N` or an HTTP/1.0 client.
        var response = new string('r', 300_000);
        await using var backend = new TcpBackend(async (socket, ct) =>
        {
            var request = await socket.ReadToEndTextAsync();
            await socket.SendAsync(Encoding.ASCII.GetBytes(request + response), ct);
            socket.Shutdown(SocketShutdown.Send);
        });
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Routes(Forward("half", port, backend.Address)));

        using var client = await TestClient.ConnectAsync(port);
        await client.SendAsync("request");
        client.Shutdown(SocketShutdown.Send);

        Assert.Equal("request" + response, await client.ReadToEndTextAsync());
        await proxy.Logs.WaitForConnectionAsync("Completed", "half");
    }

    [Fact]
    public async Task Backend_half_close_still_receives_what_the_client_sends_afterwards()
    {
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = new TcpBackend(async (socket, ct) =>
        {
            await socket.SendAsync(Encoding.ASCII.GetBytes("hello, then FIN"), ct);
            socket.Shutdown(SocketShutdown.Send);
            received.SetResult(await socket.ReadToEndTextAsync());
        });
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Routes(Forward("half", port, backend.Address)));

        using var client = await TestClient.ConnectAsync(port);
        Assert.Equal("hello, then FIN", await client.ReadToEndTextAsync());
        await client.SendAsync("the client was still talking");
        client.Shutdown(SocketShutdown.Send);

        Assert.Equal("the client was still talking", await received.Task.WaitAsync(TestTimeouts.Io));
        await proxy.Logs.WaitForConnectionAsync("Completed", "half");
    }

    [Fact]
    public async Task Refused_first_target_fails_over_and_is_then_skipped_by_passive_health()
    {
        await using var backend = TcpBackend.Greeting("alive");
        using var refusing = TestClient.RefusingPort(out var deadPort);
        var dead = $"127.0.0.1:{deadPort}";
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(new
        {
            Routes = new[]
            {
                new
                {
                    Id = "failover",
                    Match = new { Ports = new[] { Port(port) } },
                    Action = new { Type = "Forward", Targets = new[] { dead, backend.Address }, PassiveHealth = new { MaxFailures = 1, CoolDown = "00:10:00" } },
                },
            },
        });

        for (var i = 0; i < 4; i++)
        {
            using var client = await TestClient.ConnectAsync(port);
            Assert.Equal("alive", await client.ReadTextAsync(5));
        }

        Assert.Equal(4, backend.Accepted);
        var failures = proxy.Logs.Entries.Count(e => e.Message.Contains($"connect to {dead} failed", StringComparison.Ordinal));
        Assert.Equal(1, failures); // Marked down after the first failure, then skipped.
    }

    [Fact]
    public async Task All_targets_down_closes_the_client_and_says_why()
    {
        using var refusing = TestClient.RefusingPort(out var deadPort);
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Routes(Forward("down", port, $"127.0.0.1:{deadPort}")));

        using var client = await TestClient.ConnectAsync(port);

        Assert.True(await client.IsClosedByPeerAsync());
        await proxy.Logs.WaitForConnectionAsync("ConnectFailed", "down");
    }

    [Fact]
    public async Task Idle_connection_is_closed_after_the_route_idle_timeout()
    {
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(new
        {
            Routes = new[]
            {
                new
                {
                    Id = "idle",
                    Match = new { Ports = new[] { Port(port) } },
                    Action = new { Type = "Forward", Targets = new[] { backend.Address } },
                    Limits = new { IdleTimeout = "00:00:01" },
                },
            },
        });

        using var client = await TestClient.ConnectAsync(port);
        await client.SendAsync("ping");
        Assert.Equal("ping", await client.ReadTextAsync(4));

        // Nothing more is sent either way: the proxy closes the connection by itself.
        await client.ReadToEndAsync();
        await proxy.Logs.WaitForConnectionAsync("IdleTimeout", "idle");
    }
}
