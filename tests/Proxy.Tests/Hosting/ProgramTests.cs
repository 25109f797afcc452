using Proxy.Hosting;
using Proxy.Tests.Infrastructure;
using static Proxy.Tests.Infrastructure.TestRoutes;

namespace Proxy.Tests.Hosting;

/// <summary>The real program (<c>dotnet Proxy.dll</c>), which unlike the in-process test hosts runs socket continuations
/// inline (<see cref="RuntimeTuning"/>) and answers signals: forwarding, HTTP and CONNECT traffic at once through it, so
/// nothing on those paths blocks a socket engine thread; SIGHUP reloads, SIGTERM stops it gracefully.</summary>
public sealed class ProgramTests
{
    [Fact]
    public async Task Program_runs_socket_work_inline_and_serves_forward_http_and_connect_routes_at_once()
    {
        await using var echo = TcpBackend.Echo();
        await using var web = await HttpBackend.StartAsync("web");
        int forwardPort = TestClient.FreePort(), httpPort = TestClient.FreePort(), connectPort = TestClient.FreePort(), adminPort = TestClient.FreePort();
        await using var program = await ProgramProcess.StartAsync(Settings(adminPort,
        [
            Forward("fwd", forwardPort, echo.Address),
            new { Id = "web", Match = new { Ports = new[] { httpPort } }, Action = new { Type = "Http", Targets = new[] { web.Url } } },
            new
            {
                Id = "tunnel",
                Match = new { Ports = new[] { connectPort } },
                Acl = new { Allow = new[] { "127.0.0.0/8" } },
                Action = new { Type = "Connect", AllowAnonymous = true, Destinations = new { Allow = new[] { $"127.0.0.1/32:{echo.Port}" } } },
            },
        ]));
        Assert.Contains("Socket I/O: continuations inline on the socket engine threads", program.Output, StringComparison.Ordinal);
        using var http = new HttpClient { Timeout = TestTimeouts.Io };

        var payload = new string('x', 64 * 1024);
        var forwards = Enumerable.Range(0, 20).Select(async _ =>
        {
            using var socket = await TestClient.ConnectAsync(forwardPort);
            await socket.AssertEchoesAsync(payload);
        });
        var requests = Enumerable.Range(0, 50).Select(async i =>
        {
            var body = await http.GetStringAsync(new Uri($"http://127.0.0.1:{httpPort}/item/{i}"));
            Assert.Contains($"/item/{i}", body, StringComparison.Ordinal);
        });
        var tunnels = Enumerable.Range(0, 20).Select(async _ =>
        {
            using var socket = await ConnectClient.OpenTunnelAsync(connectPort, $"127.0.0.1:{echo.Port}");
            await socket.AssertEchoesAsync(payload);
        });
        await Task.WhenAll(forwards.Concat(requests).Concat(tunnels)).WaitAsync(TestTimeouts.Reload);

        var metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{adminPort}/metrics"));
        Assert.Contains("proxy_up 1", metrics, StringComparison.Ordinal);
        Assert.False(program.HasExited);
    }

    [Fact]
    public async Task Sighup_rereads_a_file_the_program_does_not_watch_and_keeps_serving_and_sigterm_then_stops_it_cleanly()
    {
        await using var echo = TcpBackend.Echo();
        int first = TestClient.FreePort(), second = TestClient.FreePort(), adminPort = TestClient.FreePort();
        // File watching off (as where it cannot work: a bind-mounted file replaced, a network file system).
        await using var program = await ProgramProcess.StartAsync(Settings(adminPort, [Forward("one", first, echo.Address)]),
            new Dictionary<string, string> { ["DOTNET_hostBuilder__reloadConfigOnChange"] = "false" });
        using (var socket = await TestClient.ConnectAsync(first))
        {
            await socket.AssertEchoesAsync("before");
        }

        await File.WriteAllTextAsync(program.SettingsPath, System.Text.Json.JsonSerializer.Serialize(
            Settings(adminPort, [Forward("one", first, echo.Address), Forward("two", second, echo.Address)])));
        await program.SignalAsync("HUP");

        await program.WaitForLineAsync(line => line.Contains("Configuration and certificates reloaded on SIGHUP: version 2, 2 routes on 2 ports", StringComparison.Ordinal));
        using (var socket = await TestClient.ConnectAsync(second))
        {
            await socket.AssertEchoesAsync("after");
        }

        // A file that no longer parses: said, nothing applied, still serving.
        await File.WriteAllTextAsync(program.SettingsPath, "{ \"Proxy\": { \"Routes\": [ ");
        await program.SignalAsync("HUP");
        await program.WaitForLineAsync(line => line.Contains("appsettings.json is unreadable", StringComparison.Ordinal) && line.Contains("version 2 keeps running", StringComparison.Ordinal));
        using (var socket = await TestClient.ConnectAsync(second))
        {
            await socket.AssertEchoesAsync("still");
        }

        Assert.False(program.HasExited);
        await program.SignalAsync("TERM");
        Assert.Equal(0, await program.WaitForExitAsync());

        // The unreadable file is said once, in one line: no second report of the same failure, no stack trace.
        Assert.DoesNotContain("Configuration reload failed", program.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", program.Output, StringComparison.Ordinal);
    }

    private static object Settings(int adminPort, object[] routes) => new
    {
        Serilog = new { MinimumLevel = new { Default = "Information", Override = new Dictionary<string, string> { ["Microsoft"] = "Warning", ["Microsoft.Hosting.Lifetime"] = "Information" } } },
        Proxy = new
        {
            BindAddress = "127.0.0.1",
            Admin = new { Urls = new[] { $"http://127.0.0.1:{adminPort}" } },
            Store = new { Path = "proxy.db" },
            Routes = routes,
        },
    };
}
