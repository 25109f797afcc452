using System.Net.Sockets;
using Proxy.Tests.Infrastructure;
using static Proxy.Tests.Infrastructure.TestRoutes;

namespace Proxy.Tests.Listeners;

public sealed class ReloadTests
{
    [Fact]
    public async Task Reload_adds_and_removes_a_port_without_touching_a_live_connection_on_another()
    {
        await using var backend = TcpBackend.Echo();
        var stable = TestClient.FreePort();
        var added = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Routes(Forward("stable", stable, backend.Address)));
        using var live = await TestClient.ConnectAsync(stable);
        await live.AssertEchoesAsync("before");

        Assert.True(await proxy.ReloadAsync(Routes(Forward("stable", stable, backend.Address), Echo("added", added))));
        using (var onNewPort = await TestClient.ConnectAsync(added))
        {
            await onNewPort.AssertEchoesAsync("new port works");
        }

        await live.AssertEchoesAsync("during");

        Assert.True(await proxy.ReloadAsync(Routes(Forward("stable", stable, backend.Address))));
        var refused = await Assert.ThrowsAsync<SocketException>(() => TestClient.ConnectAsync(added));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);

        await live.AssertEchoesAsync("after");
    }

    [Fact]
    public async Task Invalid_reload_is_rejected_with_every_error_and_the_old_config_keeps_serving()
    {
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Routes(Forward("good", port, backend.Address)));
        var version = proxy.Config.Current.Version;

        var applied = await proxy.ReloadAsync(Routes(
            Forward("good", port, "not-a-target"),
            new { Id = "bad-handler", Match = new { Ports = new[] { "7" } }, Action = new { Type = "Handler", Handler = "nope" } }));

        Assert.False(applied);
        Assert.Equal(version, proxy.Config.Current.Version);
        await proxy.Logs.WaitForAsync(e => e.Message.Contains("route good, field Action.Targets[0]", StringComparison.Ordinal));
        await proxy.Logs.WaitForAsync(e => e.Message.Contains("route bad-handler, field Action.Handler", StringComparison.Ordinal));
        using var client = await TestClient.ConnectAsync(port);
        await client.AssertEchoesAsync("old config still serves");
    }

    [Fact]
    public async Task A_file_that_no_longer_parses_is_reported_and_changes_nothing_until_it_is_fixed()
    {
        await using var backend = TcpBackend.Echo();
        int port = TestClient.FreePort(), added = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Routes(Forward("good", port, backend.Address)));
        var version = proxy.Config.Current.Version;

        await File.WriteAllTextAsync(proxy.ConfigPath, "{ \"Proxy\": { \"Routes\": [ { \"Id\": ");
        await proxy.Logs.WaitForAsync(e => e.Message.StartsWith($"Configuration file {Path.GetFileName(proxy.ConfigPath)} is unreadable (", StringComparison.Ordinal)
            && e.Message.EndsWith($"version {version} keeps running", StringComparison.Ordinal));
        Assert.Equal(version, proxy.Config.Current.Version);
        using (var client = await TestClient.ConnectAsync(port))
        {
            await client.AssertEchoesAsync("still serving");
        }

        Assert.True(await proxy.ReloadAsync(Routes(Forward("good", port, backend.Address), Echo("added", added))));
        using (var client = await TestClient.ConnectAsync(added))
        {
            await client.AssertEchoesAsync("fixed file applied");
        }
    }

    [Fact]
    public async Task A_removed_file_is_rejected_instead_of_unbinding_every_route()
    {
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Routes(Forward("good", port, backend.Address)));
        var version = proxy.Config.Current.Version;

        File.Delete(proxy.ConfigPath);
        await proxy.Logs.WaitForAsync(e => e.Message.StartsWith("Configuration change rejected: the configuration has no Proxy section", StringComparison.Ordinal));
        Assert.Equal(version, proxy.Config.Current.Version);
        using (var client = await TestClient.ConnectAsync(port))
        {
            await client.AssertEchoesAsync("still serving");
        }

        // Put back, it is applied again (the same routes, as a new version).
        Assert.True(await proxy.ReloadAsync(Routes(Forward("good", port, backend.Address))));
        Assert.Equal(version + 1, proxy.Config.Current.Version);
    }

    [Fact]
    public async Task Reload_onto_a_port_another_process_holds_is_rejected_and_nothing_changes()
    {
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        using var squatter = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        squatter.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Any, 0));
        squatter.Listen();
        var taken = ((System.Net.IPEndPoint)squatter.LocalEndPoint!).Port;
        await using var proxy = await ProxyTestHost.StartAsync(Routes(Forward("good", port, backend.Address)));

        Assert.False(await proxy.ReloadAsync(Routes(Forward("good", port, backend.Address), Echo("squatted", taken))));

        await proxy.Logs.WaitForAsync(e => e.Message.Contains($"Port {taken} cannot be bound", StringComparison.Ordinal));
        Assert.DoesNotContain(proxy.Config.Current.Routes, r => r.Id == "squatted");
        using var client = await TestClient.ConnectAsync(port);
        await client.AssertEchoesAsync("still serving");
    }

    [Fact]
    public async Task Reload_changes_a_route_target_for_new_connections_only()
    {
        await using var first = TcpBackend.Greeting("first");
        await using var second = TcpBackend.Greeting("second");
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Routes(Forward("moving", port, first.Address)));
        using var old = await TestClient.ConnectAsync(port);
        Assert.Equal("first", await old.ReadTextAsync(5));

        Assert.True(await proxy.ReloadAsync(Routes(Forward("moving", port, second.Address))));

        using var fresh = await TestClient.ConnectAsync(port);
        Assert.Equal("second", await fresh.ReadTextAsync(6));
        await old.AssertEchoesAsync("old connection still relayed to the first target");
    }
}
