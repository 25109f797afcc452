using System.Net;
using System.Net.Sockets;
using Proxy.Admin;
using Proxy.Tests.Infrastructure;
using static Proxy.Tests.Infrastructure.TestRoutes;

namespace Proxy.Tests.Admin;

public sealed class AdminObservabilityTests
{
    private static Task<LogEntry> ConnectionEndedAsync(ProxyTestHost proxy, string routeId)
        => proxy.Logs.WaitForAsync(e => e.Message.StartsWith("Connection ", StringComparison.Ordinal)
            && e.Message.Contains($" route={routeId} ", StringComparison.Ordinal) && e.Message.Contains(" end=", StringComparison.Ordinal));

    private static void AssertAtLeast(IReadOnlyDictionary<string, double> samples, string series, double minimum)
    {
        Assert.True(samples.TryGetValue(series, out var value), $"No series {series}.");
        Assert.True(value >= minimum, $"{series} is {value}, expected at least {minimum}.");
    }

    /// <summary>Sends <paramref name="text"/> through a new connection, half-closes, reads the echo to the end and
    /// waits until the proxy has accounted for the connection.</summary>
    private static async Task RoundTripAsync(ProxyTestHost proxy, int port, string routeId, string text)
    {
        var ended = ConnectionEndedAsync(proxy, routeId);
        using (var client = await TestClient.ConnectAsync(port))
        {
            await client.SendAsync(text);
            client.Shutdown(SocketShutdown.Send);
            Assert.Equal(text, await client.ReadToEndTextAsync());
        }

        await ended;
    }

    [Fact]
    public async Task Metrics_are_strict_Prometheus_text_and_count_a_routes_connections_and_bytes()
    {
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        var apiPort = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(new { BindAddress = "127.0.0.1", Routes = new[] { Forward("x", port, backend.Address) } });
        using var admin = new AdminClient(proxy.AdminUrl);
        await admin.CreateAsync(Forward("y", apiPort, backend.Address));

        const string Text = "counted bytes";
        await RoundTripAsync(proxy, port, "x", Text);
        await RoundTripAsync(proxy, apiPort, "y", Text);

        using var response = await admin.GetAsync("/metrics");
        await AdminClient.AssertStatusAsync(response, HttpStatusCode.OK);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(response.Content.Headers.ContentType!.Parameters, p => p.Name == "version" && p.Value == "0.0.4");
        var samples = PrometheusParser.Parse(await response.Content.ReadAsStringAsync());

        foreach (var route in new[] { "x", "y" })
        {
            AssertAtLeast(samples, $"proxy_route_connections_total{{route=\"{route}\"}}", 1);
            AssertAtLeast(samples, $"proxy_route_received_bytes_total{{route=\"{route}\"}}", Text.Length);
            AssertAtLeast(samples, $"proxy_route_sent_bytes_total{{route=\"{route}\"}}", Text.Length);
            Assert.Equal(0, samples[$"proxy_route_connections_active{{route=\"{route}\"}}"]);
        }

        Assert.Equal(1, samples["proxy_up"]);
        Assert.Equal((await admin.ListAsync()).Version, samples["proxy_config_version"]);
        AssertAtLeast(samples, "proxy_connections_closed_total{reason=\"Completed\"}", 2);
        Assert.True(samples.ContainsKey($"proxy_port_connections_active{{port=\"{port}\"}}"));
    }

    [Fact]
    public async Task A_deleted_routes_series_leave_metrics_and_a_dry_run_never_adds_any()
    {
        await using var backend = TcpBackend.Echo();
        var (port, dryPort) = (TestClient.FreePort(), TestClient.FreePort());
        await using var proxy = await ProxyTestHost.StartAsync(new { BindAddress = "127.0.0.1" });
        using var admin = new AdminClient(proxy.AdminUrl);
        await admin.CreateAsync(Forward("short-lived", port, backend.Address));
        await RoundTripAsync(proxy, port, "short-lived", "counted, then deleted");
        using (var validated = await admin.PostAsync("/api/routes/validate", Forward("dry", dryPort, backend.Address)))
        {
            await AdminClient.AssertStatusAsync(validated, HttpStatusCode.OK);
        }

        var before = await MetricsAsync(admin);
        Assert.Equal(1, before["proxy_route_connections_total{route=\"short-lived\"}"]);
        Assert.DoesNotContain(before.Keys, series => series.Contains("route=\"dry\"", StringComparison.Ordinal));

        using (var deleted = await admin.DeleteAsync("/api/routes/short-lived"))
        {
            await AdminClient.AssertStatusAsync(deleted, HttpStatusCode.NoContent);
        }

        var after = await MetricsAsync(admin);
        Assert.DoesNotContain(after.Keys, series => series.Contains("route=\"short-lived\"", StringComparison.Ordinal));
        Assert.Equal(1, after["proxy_connections_closed_total{reason=\"Completed\"}"]);

        // The same id created again counts from zero, as a new route.
        await admin.CreateAsync(Forward("short-lived", port, backend.Address));
        Assert.Equal(0, (await MetricsAsync(admin))["proxy_route_connections_total{route=\"short-lived\"}"]);
    }

    [Fact]
    public async Task A_target_listed_twice_is_one_target_up_series()
    {
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(new { BindAddress = "127.0.0.1", Routes = new[] { Forward("weighted", port, backend.Address, backend.Address) } });
        using var admin = new AdminClient(proxy.AdminUrl);

        // A target repeated to weigh it is one target: one series (the parser refuses a series that appears twice).
        var samples = await MetricsAsync(admin);
        Assert.Equal(1, samples[$"proxy_target_up{{route=\"weighted\",target=\"{backend.Address}\"}}"]);
    }

    private static async Task<IReadOnlyDictionary<string, double>> MetricsAsync(AdminClient admin)
    {
        using var response = await admin.GetAsync("/metrics");
        await AdminClient.AssertStatusAsync(response, HttpStatusCode.OK);
        return PrometheusParser.Parse(await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Listeners_show_each_bound_port_with_its_routes_and_live_connections_and_status_totals_per_route()
    {
        await using var backend = TcpBackend.Echo();
        var filePort = TestClient.FreePort();
        var apiPort = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(new { BindAddress = "127.0.0.1", Routes = new[] { Forward("file-route", filePort, backend.Address) } });
        using var admin = new AdminClient(proxy.AdminUrl);
        await admin.CreateAsync(Forward("api-route", apiPort, backend.Address));

        using (var held = await TestClient.ConnectAsync(apiPort))
        {
            await held.AssertEchoesAsync("held open");

            var listeners = await admin.GetJsonAsync<List<ListenerView>>("/api/listeners");
            Assert.Equal(new[] { filePort, apiPort }.Order(), listeners.Select(l => l.Port));
            Assert.DoesNotContain(listeners, l => l.Port == proxy.AdminPort);
            var api = Assert.Single(listeners, l => l.Port == apiPort);
            Assert.Equal(("tcp", "127.0.0.1", 1L), (api.Transport, api.BindAddress, api.ActiveConnections));
            Assert.Equal(["api-route"], api.Routes);
            var file = Assert.Single(listeners, l => l.Port == filePort);
            Assert.Equal(["file-route"], file.Routes);
            Assert.Equal(0, file.ActiveConnections);

            var during = await admin.GetJsonAsync<StatusView>("/api/status");
            Assert.Equal(1, Assert.Single(during.Routes, r => r.Id == "api-route").ActiveConnections);
            Assert.Equal(1, during.ActiveConnections);
        }

        await ConnectionEndedAsync(proxy, "api-route");
        await RoundTripAsync(proxy, filePort, "file-route", "through the file route");

        var status = await admin.GetJsonAsync<StatusView>("/api/status");
        Assert.Equal((await admin.ListAsync()).Version, status.ConfigVersion);
        Assert.True(status.UptimeSeconds >= 0);
        Assert.Equal(0, status.ActiveConnections);
        var apiStatus = Assert.Single(status.Routes, r => r.Id == "api-route");
        Assert.Equal(("api", 1L, 0L), (apiStatus.Origin, apiStatus.Connections, apiStatus.ActiveConnections));
        Assert.Equal("held open".Length, apiStatus.BytesFromClients);
        Assert.Equal("held open".Length, apiStatus.BytesToClients);
        var fileStatus = Assert.Single(status.Routes, r => r.Id == "file-route");
        Assert.Equal(("config", 1L, 0L), (fileStatus.Origin, fileStatus.Connections, fileStatus.Failures));
        Assert.Equal("through the file route".Length, fileStatus.BytesFromClients);
        Assert.True(status.ConnectionsClosed["Completed"] >= 1);

        var after = await admin.GetJsonAsync<List<ListenerView>>("/api/listeners");
        Assert.All(after, l => Assert.Equal(0, l.ActiveConnections));
    }
}
