using System.Diagnostics;
using System.Net;
using Proxy.Tests.Infrastructure;
using static Proxy.Tests.Http.HttpRoutes;

namespace Proxy.Tests.Http;

/// <summary>Active health checks of HTTP targets (YARP's, probing a real backend's <c>/healthz</c> every second): a
/// failing target is taken out and comes back when it recovers; with every target out, requests get 503 at once.</summary>
public sealed class HealthCheckTests
{
    private const int MaxProbes = 8;

    private static readonly object ActiveCheck = new
    {
        Active = new { Path = HttpBackend.HealthPath, Interval = "00:00:01", Timeout = "00:00:01" },
    };

    [Fact]
    public async Task Unhealthy_target_is_taken_out_until_its_health_check_passes_again()
    {
        await using var healthy = await HttpBackend.StartAsync("healthy");
        await using var sick = await HttpBackend.StartAsync("sick");
        sick.Healthy = false;
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Section(
            [HttpRoute("pool", port, healthy.Url, sick.Url).Action("LoadBalancing", "RoundRobin").Action("HealthCheck", ActiveCheck)]));
        using var client = new LoopbackHttpClient(port);
        var url = $"http://app.example.test:{port}/work";

        // Round robin alternates between available targets, so four in a row on one means the other is out.
        Assert.True(await PollAsync(async () => await BackendsAsync(client, url, 4) == "healthy,healthy,healthy,healthy", sick),
            "The failing target was never taken out.");
        var served = sick.Requests;
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal("healthy", (await client.GetEchoAsync(url)).Backend);
        }

        Assert.Equal(served, sick.Requests);

        sick.Healthy = true;
        Assert.True(await PollAsync(async () => (await BackendsAsync(client, url, 2)).Contains("sick", StringComparison.Ordinal), sick),
            "The recovered target never came back.");
    }

    [Fact]
    public async Task Every_target_out_gets_503_with_a_reason()
    {
        await using var sick = await HttpBackend.StartAsync("sick");
        sick.Healthy = false;
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Section([HttpRoute("pool", port, sick.Url).Action("HealthCheck", ActiveCheck)]));
        using var client = new LoopbackHttpClient(port);
        var url = $"http://app.example.test:{port}/work";

        var last = string.Empty;
        var outcome = await PollAsync(async () =>
        {
            using var response = await client.GetAsync(url);
            last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            return response.StatusCode == HttpStatusCode.ServiceUnavailable;
        }, sick);

        Assert.True(outcome, $"After {sick.Probes} failed probes the only target still serves: last response {last}");
        Assert.Equal("503 503: no healthy target.\n", last);
        await proxy.Logs.WaitForAsync(e => e.Message.StartsWith("HTTP ", StringComparison.Ordinal)
            && e.Message.Contains("status=503 route=pool ", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Interval", "00:00:00", "Action.HealthCheck.Active.Interval")]
    [InlineData("Interval", "-00:00:01", "Action.HealthCheck.Active.Interval")]
    [InlineData("Timeout", "00:00:00", "Action.HealthCheck.Active.Timeout")]
    public async Task A_non_positive_probe_interval_or_timeout_is_a_validation_error(string setting, string value, string field)
    {
        var check = new Dictionary<string, object> { ["Active"] = new Dictionary<string, string> { ["Path"] = "/healthz", [setting] = value } };
        var section = Section([HttpRoute("pool", TestClient.FreePort(), "http://127.0.0.1:9").Action("HealthCheck", check)]);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => ProxyTestHost.StartAsync(section));

        Assert.Contains($"Route 'pool': {field}: Must be a positive time span", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The backends that served <paramref name="count"/> sequential requests, comma-separated.</summary>
    private static async Task<string> BackendsAsync(LoopbackHttpClient client, string url, int count)
    {
        var names = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            names.Add((await client.GetEchoAsync(url)).Backend);
        }

        return string.Join(',', names);
    }

    /// <summary>Checks <paramref name="condition"/> now and after each health probe of <paramref name="probed"/> (the only
    /// thing that can change it), until it holds, <see cref="MaxProbes"/> more probes have been answered (YARP has then
    /// seen several times the two consecutive results its policy needs) or <see cref="TestTimeouts.Reload"/> has passed.</summary>
    private static async Task<bool> PollAsync(Func<Task<bool>> condition, HttpBackend probed)
    {
        var clock = Stopwatch.StartNew();
        var lastProbe = probed.Probes + MaxProbes;
        while (clock.Elapsed < TestTimeouts.Reload && probed.Probes <= lastProbe)
        {
            // Taken before checking, so a probe that lands during the check is not missed.
            var probe = probed.NextProbeAsync();
            if (await condition())
            {
                return true;
            }

            await probe.WaitAsync(TestTimeouts.Io);
        }

        return false;
    }
}
