using Proxy.Tests.Infrastructure;
using static Proxy.Tests.Infrastructure.TestRoutes;

namespace Proxy.Tests.Forwarding;

/// <summary>Active health checks of Forward targets (<c>HealthCheck.Active</c>): a TCP connect per interval, a target
/// that stops listening taken out before any client pays for it, brought back when it listens again.</summary>
public sealed class TargetHealthTests
{
    private const string Route = "probed";

    private static object ProbedRoute(int port, object active, params string[] targets) => new
    {
        Id = Route,
        Match = new { Ports = new[] { port } },
        Action = new { Type = "Forward", Targets = targets, HealthCheck = new { Active = active } },
    };

    [Fact]
    public async Task A_target_that_stops_listening_is_probed_out_of_load_balancing_and_back_in_when_it_listens_again()
    {
        var first = TcpBackend.Echo(TestClient.FreePort()); // listened on again below: a port outside the range the OS hands out
        var (firstAddress, firstPort) = (first.Address, first.Port);
        await using var second = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Routes(ProbedRoute(port, new { Interval = "00:00:00.100", Timeout = "00:00:01" }, firstAddress, second.Address)));
        using var admin = new HttpClient { BaseAddress = proxy.AdminUrl, Timeout = TestTimeouts.Io };
        Assert.Contains($"proxy_target_up{{route=\"{Route}\",target=\"{firstAddress}\"}} 1", await admin.GetStringAsync(new Uri("/metrics", UriKind.Relative)), StringComparison.Ordinal);

        await first.DisposeAsync();
        await proxy.Logs.WaitForAsync(e => e.Message == $"Target {firstAddress} of route {Route} is down: ConnectionRefused on 2 probes in a row");
        Assert.Contains($"proxy_target_up{{route=\"{Route}\",target=\"{firstAddress}\"}} 0", await admin.GetStringAsync(new Uri("/metrics", UriKind.Relative)), StringComparison.Ordinal);
        await AssertOnlyReachesAsync(proxy, port, second, firstAddress);

        await using var back = TcpBackend.Echo(firstPort);
        await proxy.Logs.WaitForAsync(e => e.Message == $"Target {firstAddress} of route {Route} is up again: a probe connected");
        for (var i = 0; i < 2; i++)
        {
            using var client = await TestClient.ConnectAsync(port);
            await client.AssertEchoesAsync($"after {i}");
        }

        await proxy.Logs.WaitForAsync(e => e.Message.StartsWith("Connection ", StringComparison.Ordinal)
            && e.Message.Contains($"target={firstAddress} ", StringComparison.Ordinal));
        Assert.Contains($"proxy_target_up{{route=\"{Route}\",target=\"{firstAddress}\"}} 1", await admin.GetStringAsync(new Uri("/metrics", UriKind.Relative)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_target_down_from_the_start_is_never_handed_a_client()
    {
        using var refusing = TestClient.RefusingPort(out var dead);
        await using var live = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Routes(ProbedRoute(port, new { Interval = "00:00:00.100" }, $"127.0.0.1:{dead}", live.Address)));

        await proxy.Logs.WaitForAsync(e => e.Message == $"Target 127.0.0.1:{dead} of route {Route} is down: ConnectionRefused on 2 probes in a row");
        await AssertOnlyReachesAsync(proxy, port, live, $"127.0.0.1:{dead}");
    }

    [Fact]
    public async Task A_reload_keeps_a_probed_down_target_out()
    {
        using var refusing = TestClient.RefusingPort(out var dead);
        await using var live = TcpBackend.Echo();
        int port = TestClient.FreePort(), other = TestClient.FreePort();
        var probed = ProbedRoute(port, new { Interval = "00:00:01" }, $"127.0.0.1:{dead}", live.Address);
        await using var proxy = await ProxyTestHost.StartAsync(Routes(probed));
        await proxy.Logs.WaitForAsync(e => e.Message == $"Target 127.0.0.1:{dead} of route {Route} is down: ConnectionRefused on 2 probes in a row");

        // An unrelated change recompiles every route; the probed route's targets are handed over with their state.
        Assert.True(await proxy.ReloadAsync(Routes(probed, Echo("other", other))));
        await AssertOnlyReachesAsync(proxy, port, live, $"127.0.0.1:{dead}");
        Assert.Single(proxy.Logs.Entries, e => e.Message.StartsWith($"Target 127.0.0.1:{dead} of route {Route} is down", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Removing_the_health_check_hands_a_probed_down_target_clients_again()
    {
        using var refusing = TestClient.RefusingPort(out var dead);
        await using var live = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Routes(ProbedRoute(port, new { Interval = "00:00:00.100" }, $"127.0.0.1:{dead}", live.Address)));
        await proxy.Logs.WaitForAsync(e => e.Message == $"Target 127.0.0.1:{dead} of route {Route} is down: ConnectionRefused on 2 probes in a row");

        // Without probes nothing can bring it back, so their verdict goes with them: round robin tries it again.
        Assert.True(await proxy.ReloadAsync(Routes(Forward(Route, port, $"127.0.0.1:{dead}", live.Address))));
        for (var i = 0; i < 2; i++)
        {
            using var client = await TestClient.ConnectAsync(port);
            await client.AssertEchoesAsync($"client {i}");
        }

        await proxy.Logs.WaitForAsync(e => e.Message.Contains($"connect to 127.0.0.1:{dead} failed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Changes_to_other_routes_do_not_probe_a_kept_target_again()
    {
        // Each backend reports every connection it accepts; a probe connects and closes at once.
        var accepted = System.Threading.Channels.Channel.CreateUnbounded<string>();
        await using var kept = new TcpBackend((socket, ct) => accepted.Writer.WriteAsync($"kept {socket.RemoteEndPoint}", ct).AsTask());
        await using var added = new TcpBackend((_, ct) => accepted.Writer.WriteAsync("added", ct).AsTask());
        var hourly = new { Interval = "01:00:00" };
        var port = TestClient.FreePort();
        object[] routes = [ProbedRoute(port, hourly, kept.Address)];
        await using var proxy = await ProxyTestHost.StartAsync(Routes(routes));
        Assert.StartsWith("kept ", await accepted.Reader.ReadAsync().AsTask().WaitAsync(TestTimeouts.Io), StringComparison.Ordinal);

        // Three changes, each adding a probed route: each new route's target is probed once, at once; the kept target,
        // probed an hour from now, is not probed again (it was on every change: a burst of probes under API churn).
        for (var i = 0; i < 3; i++)
        {
            routes = [.. routes, new
            {
                Id = $"added{i}",
                Match = new { Ports = new[] { TestClient.FreePort() } },
                Action = new { Type = "Forward", Targets = new[] { added.Address }, HealthCheck = new { Active = hourly } },
            }];
            Assert.True(await proxy.ReloadAsync(Routes(routes)));
            Assert.Equal("added", await accepted.Reader.ReadAsync().AsTask().WaitAsync(TestTimeouts.Io));
        }

        // A connection of the test's own to the kept backend queues behind any probe that reached it before, so the next
        // connection the backend reports is the test's.
        using (var own = await TestClient.ConnectAsync(kept.Port))
        {
            Assert.Equal($"kept {own.LocalEndPoint}", await accepted.Reader.ReadAsync().AsTask().WaitAsync(TestTimeouts.Io));
        }

        Assert.Equal(2, kept.Accepted);
        Assert.Equal(3, added.Accepted);

        // New probe settings for the kept target start its probing over: probed at once.
        routes[0] = ProbedRoute(port, new { Interval = "00:59:00" }, kept.Address);
        Assert.True(await proxy.ReloadAsync(Routes(routes)));
        Assert.StartsWith("kept ", await accepted.Reader.ReadAsync().AsTask().WaitAsync(TestTimeouts.Io), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{ \"Path\": \"/healthz\" }", "Action.HealthCheck.Active.Path")]
    [InlineData("{ \"Interval\": \"-00:00:01\" }", "Action.HealthCheck.Active.Interval")]
    [InlineData("{ \"Interval\": \"00:00:00\" }", "Action.HealthCheck.Active.Interval")]
    [InlineData("{ \"Timeout\": \"00:00:00\" }", "Action.HealthCheck.Active.Timeout")]
    public async Task Http_only_or_non_positive_probe_settings_are_validation_errors(string active, string field)
    {
        var section = Routes(ProbedRoute(TestClient.FreePort(), System.Text.Json.JsonSerializer.Deserialize<System.Text.Json.JsonElement>(active), "127.0.0.1:9"));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => ProxyTestHost.StartAsync(section));

        Assert.Contains($"Route '{Route}': {field}:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Passive_settings_under_health_check_are_a_validation_error_naming_passive_health()
    {
        var section = Routes(new
        {
            Id = Route,
            Match = new { Ports = new[] { TestClient.FreePort() } },
            Action = new { Type = "Forward", Targets = new[] { "127.0.0.1:9" }, HealthCheck = new { Passive = new { ReactivationPeriod = "00:01:00" } } },
        });

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => ProxyTestHost.StartAsync(section));

        Assert.Contains($"Route '{Route}': Action.HealthCheck.Passive:", error.Message, StringComparison.Ordinal);
        Assert.Contains("PassiveHealth", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Four clients in a row all reach <paramref name="live"/> (round robin would start every other one at the
    /// dead target), and none of them made the proxy try <paramref name="dead"/> first.</summary>
    private static async Task AssertOnlyReachesAsync(ProxyTestHost proxy, int port, TcpBackend live, string dead)
    {
        for (var i = 0; i < 4; i++)
        {
            using var client = await TestClient.ConnectAsync(port);
            await client.AssertEchoesAsync($"client {i}");
        }

        await proxy.Logs.WaitForAsync(e => e.Message.StartsWith("Connection ", StringComparison.Ordinal)
            && e.Message.Contains($"target={live.Address} ", StringComparison.Ordinal), 4);
        Assert.DoesNotContain(proxy.Logs.Entries, e => e.Message.Contains($"connect to {dead} failed", StringComparison.Ordinal));
    }
}
