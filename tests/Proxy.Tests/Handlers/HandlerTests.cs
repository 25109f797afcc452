using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Proxy.Handlers;
using Proxy.Tests.Infrastructure;
using static Proxy.Tests.Infrastructure.TestRoutes;

namespace Proxy.Tests.Handlers;

public sealed class HandlerTests
{
    [Fact]
    public async Task Echo_handler_returns_every_byte_and_the_log_counts_them()
    {
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Routes(Echo("echo", port)));

        using var client = await TestClient.ConnectAsync(port);
        await client.SendAsync("hello, echo");
        client.Shutdown(SocketShutdown.Send);

        Assert.Equal("hello, echo", await client.ReadToEndTextAsync());
        var summary = await proxy.Logs.WaitForConnectionAsync("Completed", "echo");
        Assert.Contains("target=handler:echo", summary.Message, StringComparison.Ordinal);
        Assert.Contains("in=11 out=11", summary.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Host_app_registers_its_own_handler_and_a_route_names_it()
    {
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(
            new { Routes = new[] { new { Id = "greet", Match = new { Ports = new[] { Port(port) } }, Action = new { Type = "Handler", Handler = "greeter" } } } },
            builder => builder.Services.AddSingleton<IConnectionRouteHandler, GreeterHandler>());

        using var client = await TestClient.ConnectAsync(port);

        Assert.Equal("hello from the host app\n", await client.ReadToEndTextAsync());
        await proxy.Logs.WaitForConnectionAsync("Completed", "greet");
    }

    [Fact]
    public async Task Unknown_handler_is_refused_at_startup()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => ProxyTestHost.StartAsync(
            new { Routes = new[] { new { Id = "x", Match = new { Ports = new[] { Port(TestClient.FreePort()) } }, Action = new { Type = "Handler", Handler = "nope" } } } }));

        Assert.Contains("No handler named 'nope'", error.Message, StringComparison.Ordinal);
    }

    private sealed class GreeterHandler : IConnectionRouteHandler
    {
        public string Name => "greeter";

        public async Task HandleAsync(ConnectionContext connection, CancellationToken stopping)
        {
            await connection.Transport.Output.WriteAsync(Encoding.ASCII.GetBytes("hello from the host app\n"), stopping);
        }
    }
}
