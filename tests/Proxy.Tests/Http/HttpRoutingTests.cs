using System.Net;
using Proxy.Tests.Infrastructure;
using static Proxy.Tests.Http.HttpRoutes;

namespace Proxy.Tests.Http;

/// <summary>Plain-HTTP routes served by YARP: matching by path, methods, headers and host; transforms and
/// <c>X-Forwarded-*</c>; redirects; the proxy's own 404/502/504 answers; the request log; hot reload.</summary>
public sealed class HttpRoutingTests
{
    [Fact]
    public async Task Paths_methods_and_headers_choose_the_backend_and_transforms_and_forwarded_headers_arrive()
    {
        await using var a = await HttpBackend.StartAsync("a");
        await using var b = await HttpBackend.StartAsync("b");
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Section(
        [
            HttpRoute("api", port, a.Url).Match("Path", "/api/{**rest}")
                .Action("Transforms", new[] { Transform(("PathRemovePrefix", "/api")), Transform(("RequestHeader", "X-A"), ("Set", "1")) }),
            HttpRoute("static", port, b.Url).Match("Path", "/static/{**rest}"),
            HttpRoute("feature-beta", port, b.Url).Match("Path", "/feature").Match("Headers", new[] { new { Name = "X-Beta", Values = new[] { "on" } } }),
            HttpRoute("feature", port, a.Url).Match("Path", "/feature"),
            HttpRoute("upload-put", port, b.Url).Match("Path", "/upload").Match("Methods", new[] { "PUT" }),
            HttpRoute("upload", port, a.Url).Match("Path", "/upload"),
        ]));
        using var client = new LoopbackHttpClient(port);
        var origin = $"http://app.example.test:{port}";

        var api = await client.GetEchoAsync($"{origin}/api/items/7?x=1");
        Assert.Equal(("a", "/items/7", "?x=1"), (api.Backend, api.Path, api.Query));
        Assert.Equal("1", api.Header("X-A"));
        Assert.Equal("127.0.0.1", api.Header("X-Forwarded-For"));
        Assert.Equal("http", api.Header("X-Forwarded-Proto"));
        Assert.Equal($"app.example.test:{port}", api.Header("X-Forwarded-Host"));

        var css = await client.GetEchoAsync($"{origin}/static/site.css");
        Assert.Equal(("b", "/static/site.css"), (css.Backend, css.Path));
        Assert.Null(css.Header("X-A"));
        Assert.Equal("127.0.0.1", css.Header("X-Forwarded-For"));

        using (var beta = new HttpRequestMessage(HttpMethod.Get, new Uri($"{origin}/feature")))
        {
            beta.Headers.Add("X-Beta", "on");
            Assert.Equal("b", (await client.EchoAsync(beta)).Backend);
        }

        Assert.Equal("a", (await client.GetEchoAsync($"{origin}/feature")).Backend);

        using (var put = new HttpRequestMessage(HttpMethod.Put, new Uri($"{origin}/upload")) { Content = new StringContent("data") })
        {
            var echo = await client.EchoAsync(put);
            Assert.Equal(("b", "PUT"), (echo.Backend, echo.Method));
        }

        var get = await client.GetEchoAsync($"{origin}/upload");
        Assert.Equal(("a", "GET"), (get.Backend, get.Method));
    }

    [Fact]
    public async Task Trace_context_passes_through_untouched_and_none_is_made_up()
    {
        await using var backend = await HttpBackend.StartAsync("a");
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Section([HttpRoute("web", port, backend.Url)]));
        using var client = new LoopbackHttpClient(port);
        var origin = $"http://app.example.test:{port}";
        const string Parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

        using (var traced = new HttpRequestMessage(HttpMethod.Get, new Uri($"{origin}/traced")))
        {
            traced.Headers.Add("traceparent", Parent);
            traced.Headers.Add("tracestate", "congo=t61rcWkgMzE");
            var echo = await client.EchoAsync(traced);
            // The proxy records no span, so the backend's parent must stay the client's.
            Assert.Equal(Parent, echo.Header("traceparent"));
            Assert.Equal("congo=t61rcWkgMzE", echo.Header("tracestate"));
        }

        var untraced = await client.GetEchoAsync($"{origin}/untraced");
        Assert.Equal("a", untraced.Backend);
        Assert.Null(untraced.Header("traceparent"));
    }

    [Fact]
    public async Task Redirect_routes_answer_301_and_308_with_the_https_location_including_the_query()
    {
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Section(
        [
            Redirect("www-https", port, "https://{host}{path}", 301).Match("Domains", new[] { "www.example.test" }),
            Redirect("api-https", port, "https://{host}{path}", 308).Match("Domains", new[] { "api.example.test" }),
        ]));
        using var client = new LoopbackHttpClient(port);

        using (var moved = await client.GetAsync($"http://www.example.test:{port}/a/b?q=1&r=two"))
        {
            Assert.Equal(HttpStatusCode.MovedPermanently, moved.StatusCode);
            Assert.Equal("https://www.example.test/a/b?q=1&r=two", moved.Headers.Location?.OriginalString);
        }

        using (var permanent = await client.Client.PostAsync(new Uri($"http://api.example.test:{port}/v1/items?page=2"), new StringContent("{}")))
        {
            Assert.Equal(HttpStatusCode.PermanentRedirect, permanent.StatusCode);
            Assert.Equal("https://api.example.test/v1/items?page=2", permanent.Headers.Location?.OriginalString);
        }

        await proxy.Logs.WaitForAsync(e => e.Message.StartsWith("HTTP ", StringComparison.Ordinal)
            && e.Message.Contains("status=308 route=api-https ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Request_no_route_matches_gets_404_with_a_short_body()
    {
        await using var a = await HttpBackend.StartAsync("a");
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Section(
            [HttpRoute("api", port, a.Url).Match("Domains", new[] { "app.example.test" }).Match("Path", "/api/{**rest}")]));
        using var client = new LoopbackHttpClient(port);

        await AssertNotFoundAsync(client, $"http://app.example.test:{port}/nothing/here");
        await AssertNotFoundAsync(client, $"http://other.example.test:{port}/api/x");
        Assert.Equal(0, a.Requests);

        Assert.Equal("a", (await client.GetEchoAsync($"http://app.example.test:{port}/api/x")).Backend);
    }

    [Fact]
    public async Task Dead_target_gets_a_prompt_502_with_a_reason()
    {
        var port = TestClient.FreePort();
        using var refusing = TestClient.RefusingPort(out var deadPort);
        var dead = $"http://127.0.0.1:{deadPort}";
        await using var proxy = await ProxyTestHost.StartAsync(Section([HttpRoute("dead", port, dead)]));
        using var client = new LoopbackHttpClient(port);

        using var response = await client.GetAsync($"http://app.example.test:{port}/anything");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("502: ", body, StringComparison.Ordinal);
        Assert.True(body.Length < 200, body);
        await proxy.Logs.WaitForAsync(e => e.Message.StartsWith("HTTP ", StringComparison.Ordinal)
            && e.Message.Contains("status=502 route=dead ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Target_silent_for_longer_than_the_route_timeout_gets_504()
    {
        await using var slow = await HttpBackend.StartAsync("slow");
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Section([HttpRoute("slow", port, slow.Url).Action("Timeout", "00:00:01")]));
        using var client = new LoopbackHttpClient(port);

        Assert.Equal("slow", (await client.GetEchoAsync($"http://app.example.test:{port}/fast")).Backend);
        using var response = await client.GetAsync($"http://app.example.test:{port}/slow?delay=60000");

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.StartsWith("504: ", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_request_gets_one_log_line_with_its_status_route_and_target()
    {
        await using var a = await HttpBackend.StartAsync("a");
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Section([HttpRoute("logged", port, a.Url)]));
        using var client = new LoopbackHttpClient(port);

        await client.GetEchoAsync($"http://app.example.test:{port}/first?secret=1");

        var line = await proxy.Logs.WaitForAsync(e => e.Message.StartsWith("HTTP ", StringComparison.Ordinal)
            && e.Message.Contains("status=200", StringComparison.Ordinal) && e.Message.Contains("route=logged", StringComparison.Ordinal));
        Assert.Contains($" GET app.example.test:{port}/first HTTP/1.1 ", line.Message, StringComparison.Ordinal);
        Assert.Contains($" target={a.Url}", line.Message, StringComparison.Ordinal);
        Assert.Contains(" client=127.0.0.1 ", line.Message, StringComparison.Ordinal);
        Assert.Single(proxy.Logs.Entries, e => e.Message.StartsWith("HTTP ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Reload_changes_an_http_routes_target_for_the_next_request_on_the_same_keep_alive_connection()
    {
        await using var a = await HttpBackend.StartAsync("a");
        await using var b = await HttpBackend.StartAsync("b");
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Section([HttpRoute("moving", port, a.Url)]));
        using var client = new LoopbackHttpClient(port, maxConnections: 1);

        Assert.Equal("a", (await client.GetEchoAsync($"http://app.example.test:{port}/before")).Backend);
        Assert.True(await proxy.ReloadAsync(Section([HttpRoute("moving", port, b.Url)])));
        Assert.Equal("b", (await client.GetEchoAsync($"http://app.example.test:{port}/after")).Backend);

        Assert.Equal(1, client.Connections);
        Assert.Equal(1, a.Requests);
        Assert.Equal(1, b.Requests);
    }

    private static async Task AssertNotFoundAsync(LoopbackHttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.StartsWith("404: no route", body, StringComparison.Ordinal);
        Assert.True(body.Length < 200, body);
    }
}
