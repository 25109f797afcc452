using Proxy.Hosting;
using Proxy.Tests.Infrastructure;
using static Proxy.Tests.Infrastructure.ConnectRoutes;

namespace Proxy.Tests.Connect;

/// <summary>Never an open proxy, decided at startup: a Connect route needs credentials (or anonymous access on a
/// loopback-only route), a relay pool that exists and a valid destination policy; a Relay route needs tokens.</summary>
public sealed class ConnectValidationTests
{
    [Fact]
    public async Task Connect_route_without_users_or_anonymous_access_is_a_startup_error()
    {
        var error = await StartFailsAsync(Section([ConnectRoute("open", TestClient.FreePort(), [.. Loopback])], users: false));

        Assert.Contains("Route 'open': Action: This route requires credentials", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0.0.0.0/0")]
    [InlineData("127.0.0.0/8,10.0.0.0/8")]
    [InlineData("192.168.1.10")]
    [InlineData("::/0")]
    [InlineData("126.0.0.0/7")]
    public async Task Anonymous_access_without_a_loopback_only_acl_is_a_startup_error(string acl)
    {
        var route = ConnectRoute("anon", TestClient.FreePort(), [.. Loopback], action: new() { ["AllowAnonymous"] = true },
            route: acl.Length == 0 ? null : new() { ["Acl"] = new { Allow = acl.Split(',') } });

        var error = await StartFailsAsync(Section([route], users: false));

        Assert.Contains("Route 'anon': Action.AllowAnonymous:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Anonymous_access_is_an_error_even_when_users_are_configured_unless_the_acl_is_loopback_only()
    {
        var route = ConnectRoute("anon", TestClient.FreePort(), [.. Loopback], action: new() { ["AllowAnonymous"] = true },
            route: new() { ["Acl"] = new { Allow = new[] { "0.0.0.0/0" } } });

        var error = await StartFailsAsync(Section([route]));

        Assert.Contains("Route 'anon': Action.AllowAnonymous:", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.0/8")]
    [InlineData("127.0.0.1/32,::1")]
    public async Task Anonymous_access_on_a_loopback_only_acl_starts(string acl)
    {
        var route = ConnectRoute("anon", TestClient.FreePort(), [.. Loopback], action: new() { ["AllowAnonymous"] = true },
            route: new() { ["Acl"] = new { Allow = acl.Split(',') } });

        await using var proxy = await ProxyTestHost.StartAsync(Section([route], users: false));
    }

    [Fact]
    public async Task Via_naming_a_missing_pool_is_a_startup_error()
    {
        var error = await StartFailsAsync(Section(
            [ConnectRoute("via", TestClient.FreePort(), [.. Loopback], via: "nowhere")],
            RelayPool([Endpoint(TestClient.FreePort())])));

        Assert.Contains("Route 'via': Action.Via: No relay pool named 'nowhere'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Malformed_destination_entries_are_startup_errors_naming_the_entry()
    {
        var error = await StartFailsAsync(Section([ConnectRoute("bad", TestClient.FreePort(), ["example.com", "127.0.0.1/33:*", "*:443"])]));

        Assert.Contains("Route 'bad': Action.Destinations.Allow[0]:", error.Message, StringComparison.Ordinal);
        Assert.Contains("Route 'bad': Action.Destinations.Allow[1]:", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Allow[2]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Relay_pool_with_a_bad_url_or_no_token_is_a_startup_error()
    {
        var relay = new
        {
            Pools = new Dictionary<string, object>
            {
                [Pool] = new { Endpoints = new object[] { new { Url = "http://127.0.0.1:1/relay/v1/tcp", Token }, new { Url = RelayUrl(2) } } },
            },
        };

        var error = await StartFailsAsync(Section([ConnectRoute("via", TestClient.FreePort(), [.. Loopback], via: Pool)], relay));

        Assert.Contains($"Relay.Pools:{Pool}.Endpoints[0].Url:", error.Message, StringComparison.Ordinal);
        Assert.Contains($"Relay.Pools:{Pool}.Endpoints[1].Token:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Relay_route_without_tokens_is_a_startup_error()
    {
        var error = await StartFailsAsync(Section(
            [RelayRoute("egress", TestClient.FreePort(), [.. Loopback], action: new() { ["Tokens"] = Array.Empty<object>() })]));

        Assert.Contains("Route 'egress': Action.Tokens: A Relay route needs at least one token", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Relay_route_with_a_short_secret_is_a_startup_error()
    {
        var error = await StartFailsAsync(Section(
            [RelayRoute("egress", TestClient.FreePort(), [.. Loopback], action: new() { ["Tokens"] = new[] { new { Id = "t", Secret = "short" } } })]));

        Assert.Contains("Route 'egress': Action.Tokens[0]:", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("MaxTunnels")]
    [InlineData("MaxTunnelsPerToken")]
    public async Task Relay_route_tunnel_limits_must_be_positive(string limit)
    {
        var error = await StartFailsAsync(Section([RelayRoute("egress", TestClient.FreePort(), [.. Loopback], action: new() { [limit] = 0 })]));

        Assert.Contains($"Route 'egress': Action.{limit}: Must be greater than zero.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_error_is_reported_at_once()
    {
        var error = await StartFailsAsync(Section(
            [
                ConnectRoute("open", TestClient.FreePort(), [.. Loopback]),
                ConnectRoute("via", TestClient.FreePort(), [.. Loopback], via: "nowhere"),
                RelayRoute("egress", TestClient.FreePort(), [.. Loopback], action: new() { ["Tokens"] = Array.Empty<object>() }),
            ],
            users: false));

        Assert.Contains("Route 'open': Action:", error.Message, StringComparison.Ordinal);
        Assert.Contains("Route 'via': Action.Via:", error.Message, StringComparison.Ordinal);
        Assert.Contains("Route 'egress': Action.Tokens:", error.Message, StringComparison.Ordinal);
    }

    private static async Task<Exception> StartFailsAsync(object section)
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => ProxyTestHost.StartAsync(section));
        Assert.IsType<ProxyConfigurationException>(error.InnerException);
        return error;
    }
}
