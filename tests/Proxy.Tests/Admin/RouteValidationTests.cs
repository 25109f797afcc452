using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Proxy.Tests.Infrastructure;
using static Proxy.Tests.Infrastructure.TestRoutes;

namespace Proxy.Tests.Admin;

public sealed class RouteValidationTests
{
    private static readonly object EchoAction = new { Type = "Handler", Handler = "echo" };

    private static object Invalid(string mistake, int existingPort, int freePort) => mistake switch
    {
        "port" => new { Id = "bad", Match = new { Ports = new[] { "70000" } }, Action = EchoAction },
        "action-type" => new { Id = "bad", Match = new { Ports = new[] { Port(freePort) } }, Action = new { Type = "Teleport" } },
        "handler" => new { Id = "bad", Match = new { Ports = new[] { Port(freePort) } }, Action = new { Type = "Handler", Handler = "nope" } },
        "cidr" => new { Id = "bad", Match = new { Ports = new[] { Port(freePort) }, ClientIps = new[] { "10.0.0.0/33" } }, Action = EchoAction },
        "target" => Forward("bad", freePort, "no-port-here"),
        "ambiguous" => Echo("bad", existingPort),
        _ => throw new ArgumentOutOfRangeException(nameof(mistake), mistake, null),
    };

    [Theory]
    [InlineData("port", "Match.Ports[0]")]
    [InlineData("action-type", "Action.Type")]
    [InlineData("handler", "Action.Handler")]
    [InlineData("cidr", "Match.ClientIps[0]")]
    [InlineData("target", "Action.Targets[0]")]
    [InlineData("ambiguous", "Match")]
    public async Task Invalid_route_gets_400_naming_route_and_field_by_dry_run_and_by_post_and_nothing_is_applied(string mistake, string field)
    {
        var existing = TestClient.FreePort();
        var free = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(new { BindAddress = "127.0.0.1", Routes = new[] { Echo("existing", existing) } });
        using var admin = new AdminClient(proxy.AdminUrl);
        var version = proxy.Config.Current.Version;
        var route = Invalid(mistake, existing, free);

        using (var response = await admin.PostAsync("/api/routes/validate", route))
        {
            var problem = await AdminClient.ReadProblemAsync(response, HttpStatusCode.BadRequest);
            problem.AssertError("bad", field);
        }

        using (var response = await admin.PostAsync("/api/routes", route))
        {
            var problem = await AdminClient.ReadProblemAsync(response, HttpStatusCode.BadRequest);
            Assert.Equal("Invalid configuration", problem.Title);
            problem.AssertError("bad", field);
        }

        using (var response = await admin.PutAsync("/api/routes/bad", route))
        {
            (await AdminClient.ReadProblemAsync(response, HttpStatusCode.BadRequest)).AssertError("bad", field);
        }

        await admin.AssertMissingAsync("bad");
        Assert.Equal(version, proxy.Config.Current.Version);
        using var client = await TestClient.ConnectAsync(existing);
        await client.AssertEchoesAsync("the existing route is untouched");
    }

    [Fact]
    public async Task Every_invalid_field_of_a_route_is_listed_in_one_problem()
    {
        await using var proxy = await ProxyTestHost.StartAsync(new { BindAddress = "127.0.0.1" });
        using var admin = new AdminClient(proxy.AdminUrl);
        var route = new
        {
            Id = "many",
            Match = new { Ports = new[] { "0", Port(TestClient.FreePort()) }, ClientIps = new[] { "not-an-ip" }, Domains = new[] { "bad domain" } },
            Action = new { Type = "Forward", Targets = new[] { "127.0.0.1:1", "nowhere" }, LoadBalancing = "Sometimes" },
        };

        using var response = await admin.PostAsync("/api/routes/validate", route);
        var problem = await AdminClient.ReadProblemAsync(response, HttpStatusCode.BadRequest);
        foreach (var field in new[] { "Match.Ports[0]", "Match.ClientIps[0]", "Match.Domains[0]", "Action.Targets[1]", "Action.LoadBalancing" })
        {
            problem.AssertError("many", field);
        }

        Assert.All(problem.Errors, e => Assert.False(string.IsNullOrWhiteSpace(e.Message)));
    }

    [Fact]
    public async Task Dry_run_of_a_valid_route_answers_200_and_applies_nothing()
    {
        await using var proxy = await ProxyTestHost.StartAsync(new { BindAddress = "127.0.0.1" });
        using var admin = new AdminClient(proxy.AdminUrl);
        var version = (await admin.ListAsync()).Version;
        var port = TestClient.FreePort();

        using (var response = await admin.PostAsync("/api/routes/validate", Echo("dry", port)))
        {
            await AdminClient.AssertStatusAsync(response, HttpStatusCode.OK);
            Assert.Contains("true", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        await admin.AssertMissingAsync("dry");
        var list = await admin.ListAsync();
        Assert.Equal(version, list.Version);
        Assert.Empty(list.Routes);
        var refused = await Assert.ThrowsAsync<SocketException>(() => TestClient.ConnectAsync(port));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        var audit = await admin.GetJsonAsync<List<Proxy.Store.AuditRecord>>("/api/audit");
        Assert.Empty(audit);
    }

    [Fact]
    public async Task Route_on_a_port_another_socket_holds_gets_409_naming_the_port_and_the_previous_config_keeps_serving()
    {
        await using var backend = TcpBackend.Echo();
        using var squatter = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        squatter.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        squatter.Listen();
        var taken = ((IPEndPoint)squatter.LocalEndPoint!).Port;
        var working = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(new { BindAddress = "127.0.0.1" });
        using var admin = new AdminClient(proxy.AdminUrl);
        await admin.CreateAsync(Forward("working", working, backend.Address));
        using var live = await TestClient.ConnectAsync(working);
        await live.AssertEchoesAsync("before");
        var version = (await admin.ListAsync()).Version;

        using (var response = await admin.PostAsync("/api/routes", Forward("squatted", taken, backend.Address)))
        {
            var problem = await AdminClient.ReadProblemAsync(response, HttpStatusCode.Conflict);
            Assert.Contains(taken.ToString(CultureInfo.InvariantCulture), problem.Detail, StringComparison.Ordinal);
            problem.AssertError("squatted", "Match.Ports");
        }

        using (var response = await admin.PostAsync("/api/routes/validate", Forward("squatted", taken, backend.Address)))
        {
            var problem = await AdminClient.ReadProblemAsync(response, HttpStatusCode.Conflict);
            Assert.Contains(taken.ToString(CultureInfo.InvariantCulture), problem.Detail, StringComparison.Ordinal);
        }

        var list = await admin.ListAsync();
        Assert.Equal(version, list.Version);
        Assert.DoesNotContain(list.Routes, r => r.Route.Id == "squatted");
        await admin.AssertMissingAsync("squatted");
        await live.AssertEchoesAsync("the live connection is untouched");
        using var fresh = await TestClient.ConnectAsync(working);
        await fresh.AssertEchoesAsync("the previous config keeps serving");
    }

    [Fact]
    public async Task Json_mistakes_get_a_precise_400_problem_on_every_write_endpoint()
    {
        var port = TestClient.FreePort();
        var ports = Port(port);
        await using var proxy = await ProxyTestHost.StartAsync(new { BindAddress = "127.0.0.1" });
        using var admin = new AdminClient(proxy.AdminUrl);
        var cases = new (string Body, HttpStatusCode Status, string[] DetailContains)[]
        {
            ("{\"id\": \"json\" \"match\": {}}", HttpStatusCode.BadRequest, ["line 1", "byte 14"]),
            ("{\"id\": \"json\", \"match\": {\"ports\": [" + ports + "]", HttpStatusCode.BadRequest, ["line 1"]),
            ("{\"id\": \"json\", \"match\": {\"ports\": [" + ports + "]}, \"action\": {\"type\": \"Forward\", \"Target\": \"127.0.0.1:1\"}}",
                HttpStatusCode.BadRequest, ["'Target'", "$.action.Target"]),
            ("{\"id\": \"json\", \"match\": {\"ports\": \"abc\"}, \"action\": {\"type\": \"Handler\", \"handler\": \"echo\"}}",
                HttpStatusCode.BadRequest, ["Ports must be an array", "$.match.ports"]),
            ("{\"id\": \"json\", \"priority\": \"high\", \"match\": {\"ports\": [" + ports + "]}, \"action\": {\"type\": \"Handler\", \"handler\": \"echo\"}}",
                HttpStatusCode.BadRequest, ["$.priority"]),
            ("{\"id\": \"json\", \"match\": {\"ports\": [" + ports + "]}, \"action\": {\"type\": \"Handler\", \"handler\": \"echo\", \"targets\": {\"a\": 1}}}",
                HttpStatusCode.BadRequest, ["$.action.targets"]),
            ("null", HttpStatusCode.BadRequest, ["null"]),
        };

        foreach (var (body, status, contains) in cases)
        {
            foreach (var (method, path) in new[] { (HttpMethod.Post, "/api/routes"), (HttpMethod.Post, "/api/routes/validate"), (HttpMethod.Put, "/api/routes/json") })
            {
                using var response = await admin.SendAsync(method, path, AdminClient.RawJson(body), null);
                var problem = await AdminClient.ReadProblemAsync(response, status);
                Assert.Equal("Invalid JSON", problem.Title);

                foreach (var text in contains)
                {
                    Assert.True(problem.Detail?.Contains(text, StringComparison.Ordinal) == true,
                        $"{method} {path} with {body}: detail '{problem.Detail}' lacks '{text}'");
                }
            }
        }

        await admin.AssertMissingAsync("json");
        var refused = await Assert.ThrowsAsync<SocketException>(() => TestClient.ConnectAsync(port));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    [Fact]
    public async Task Wrong_content_type_gets_a_415_problem_on_every_write_endpoint()
    {
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(new { BindAddress = "127.0.0.1" });
        using var admin = new AdminClient(proxy.AdminUrl);
        var body = "{\"id\": \"typed\", \"match\": {\"ports\": [" + Port(port) + "]}, \"action\": {\"type\": \"Handler\", \"handler\": \"echo\"}}";

        foreach (var mediaType in new[] { "text/plain", "application/x-www-form-urlencoded" })
        {
            foreach (var (method, path) in new[] { (HttpMethod.Post, "/api/routes"), (HttpMethod.Post, "/api/routes/validate"), (HttpMethod.Put, "/api/routes/typed") })
            {
                using var response = await admin.SendAsync(method, path, AdminClient.RawJson(body, mediaType), null);
                var problem = await AdminClient.ReadProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
                Assert.Contains("application/json", problem.Detail, StringComparison.Ordinal);
            }
        }

        await admin.AssertMissingAsync("typed");
    }

    [Fact]
    public async Task Post_without_an_id_or_with_a_body_id_differing_from_the_url_gets_400_naming_the_field()
    {
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(new { BindAddress = "127.0.0.1" });
        using var admin = new AdminClient(proxy.AdminUrl);

        using (var response = await admin.PostAsync("/api/routes", new { Match = new { Ports = new[] { Port(port) } }, Action = EchoAction }))
        {
            (await AdminClient.ReadProblemAsync(response, HttpStatusCode.BadRequest)).AssertError(null, "Id");
        }

        using (var response = await admin.PutAsync("/api/routes/one", Echo("another", port)))
        {
            (await AdminClient.ReadProblemAsync(response, HttpStatusCode.BadRequest)).AssertError("another", "Id");
        }

        using (var response = await admin.PostAsync("/api/routes", Echo("not valid!", port)))
        {
            (await AdminClient.ReadProblemAsync(response, HttpStatusCode.BadRequest)).AssertError("not valid!", "Id");
        }

        // A body without an id takes the URL's.
        using (var response = await admin.PutAsync("/api/routes/from-url", new { Match = new { Ports = new[] { Port(port) } }, Action = EchoAction }))
        {
            await AdminClient.AssertStatusAsync(response, HttpStatusCode.Created);
            Assert.Equal("from-url", (await AdminClient.ReadEntryAsync(response)).Route.Id);
        }

        await admin.AssertMissingAsync("one");
        await admin.AssertMissingAsync("another");
    }
}
