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
        var first = TcpBackend.Echo();
        var (firstAddress, firstPort) = (first.Address, first.Port);
        await using var second = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Routes(ProbedRoute(port, new { Interval = "00:00:00.100", Timeout = "00:00:01" }, firstAddress, second.Address)));
        using var admin = new HttpClient { BaseAddress = proxy.AdminUrl, Timeout = TestTimeouts.Io };
        Assert.Contains($"proxy_target_up{{route=\"{Route}\",target=\"{firstAddress}\"}} 1", await admin.GetStringAsync(new Uri("/metrics", UriKind.Relative)), StringComparison.Ordinal);

        await first.DisposeAsync();
        await proxy.Logs.WaitForAsync(e => e.Message == $"Target {firstAddress} of route {Route} is down: ConnectionRefused on 2 probes in a row");
        Assert.Contains($"proxy_target_up{{route=\"{Route}\",target=\"{firstAddress}\"}} 0", await admin.GetStringAsync(new Uri("/metrics", UriKind.Relative)), StringComparison.Ordinal);
        for (var i = 0; i < 4; i++)
        {
            using var client = await TestClient.ConnectAsync(port);
            await client.AssertEchoesAsync($"while down {i}");
        }

        // Round robin would have started every other connection at the dead target; none of them tried it.
        await proxy.Logs.WaitForAsync(e => e.Message.StartsWith("Connection ", StringComparison.Ordinal)
            && e.Message.Contains($"target={second.Address} ", StringComparison.Ordinal), 4);
        Assert.DoesNotContain(proxy.Logs.Entries, e => e.Message.Contains($"connect to {firstAddress} failed", StringComparison.Ordinal));

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
        for (var i = 0; i < 4; i++)
        {
            using var client = await TestClient.ConnectAsync(port);
            await client.AssertEchoesAsync($"client {i}");
        }

        await proxy.Logs.WaitForAsync(e => e.Message.StartsWith("Connection ", StringComparison.Ordinal)
            && e.Message.Contains($"target={live.Address} ", StringComparison.Ordinal), 4);
        Assert.DoesNotContain(proxy.Logs.Entries, e => e.Message.Contains($"connect to 127.0.0.1:{dead} failed", StringComparison.Ordinal));
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
}
