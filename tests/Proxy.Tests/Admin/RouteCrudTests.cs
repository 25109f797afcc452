using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Proxy.Admin;
using Proxy.Configuration;
using Proxy.Store;
using Proxy.Tests.Infrastructure;
using static Proxy.Tests.Infrastructure.TestRoutes;

namespace Proxy.Tests.Admin;

public sealed class RouteCrudTests
{
    private static readonly object NoRoutes = new { BindAddress = "127.0.0.1" };

    private static object EchoWithPriority(string id, int port, int priority)
        => new { Id = id, Priority = priority, Match = new { Ports = new[] { Port(port) } }, Action = new { Type = "Handler", Handler = "echo" } };

    [Fact]
    public async Task Route_created_replaced_and_deleted_through_the_api_is_live_or_gone_as_soon_as_the_api_answers()
    {
        await using var first = TcpBackend.Greeting("first");
        await using var second = TcpBackend.Greeting("second");
        await using var proxy = await ProxyTestHost.StartAsync(NoRoutes);
        using var admin = new AdminClient(proxy.AdminUrl);
        var port = TestClient.FreePort();

        string created;
        using (var response = await admin.PostAsync("/api/routes", Forward("crud", port, first.Address)))
        {
            await AdminClient.AssertStatusAsync(response, HttpStatusCode.Created);
            Assert.Equal("/api/routes/crud", response.Headers.Location?.OriginalString);
            created = response.Headers.ETag?.Tag ?? throw new InvalidOperationException("201 without an ETag.");
            var entry = await AdminClient.ReadEntryAsync(response);
            Assert.Equal("api", entry.Origin);
            Assert.Equal(created, entry.ETag);
            Assert.Equal([first.Address], entry.Route.Action!.Targets);
        }

        // No waiting: the 201 means the port is bound and the route in force.
        using (var client = await TestClient.ConnectAsync(port))
        {
            Assert.Equal("first", await client.ReadTextAsync(5));
            await client.AssertEchoesAsync("through the new route");
        }

        var read = await admin.GetRouteAsync("crud");
        Assert.Equal(("api", created), (read.Origin, read.ETag));
        Assert.Equal(port.ToString(CultureInfo.InvariantCulture), Assert.Single(read.Route.Match!.Ports));
        var listed = Assert.Single((await admin.ListAsync()).Routes, r => r.Route.Id == "crud");
        Assert.Equal(("api", created), (listed.Origin, listed.ETag));

        string replaced;
        using (var response = await admin.PutAsync("/api/routes/crud", Forward("crud", port, second.Address)))
        {
            await AdminClient.AssertStatusAsync(response, HttpStatusCode.OK);
            replaced = response.Headers.ETag?.Tag ?? throw new InvalidOperationException("200 without an ETag.");
            Assert.NotEqual(created, replaced);
            var entry = await AdminClient.ReadEntryAsync(response);
            Assert.Equal(replaced, entry.ETag);
            Assert.Equal([second.Address], entry.Route.Action!.Targets);
        }

        using (var client = await TestClient.ConnectAsync(port))
        {
            Assert.Equal("second", await client.ReadTextAsync(6));
        }

        Assert.Equal(replaced, (await admin.GetRouteAsync("crud")).ETag);

        using (var response = await admin.DeleteAsync("/api/routes/crud"))
        {
            await AdminClient.AssertStatusAsync(response, HttpStatusCode.NoContent);
        }

        // No waiting either: the 204 means the port is closed.
        var refused = await Assert.ThrowsAsync<SocketException>(() => TestClient.ConnectAsync(port));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        await admin.AssertMissingAsync("crud");
        Assert.DoesNotContain((await admin.ListAsync()).Routes, r => r.Route.Id == "crud");
    }

    [Fact]
    public async Task Put_with_If_Match_creates_nothing_when_the_route_is_missing_and_put_without_it_creates_with_201()
    {
        await using var proxy = await ProxyTestHost.StartAsync(NoRoutes);
        using var admin = new AdminClient(proxy.AdminUrl);
        var port = TestClient.FreePort();

        using (var response = await admin.PutAsync("/api/routes/put-new", Echo("put-new", port), ifMatch: "\"1\""))
        {
            await AdminClient.ReadProblemAsync(response, HttpStatusCode.PreconditionFailed);
        }

        await admin.AssertMissingAsync("put-new");

        using (var response = await admin.PutAsync("/api/routes/put-new", Echo("put-new", port)))
        {
            await AdminClient.AssertStatusAsync(response, HttpStatusCode.Created);
            Assert.Equal("/api/routes/put-new", response.Headers.Location?.OriginalString);
            Assert.NotNull(response.Headers.ETag);
        }

        using var client = await TestClient.ConnectAsync(port);
        await client.AssertEchoesAsync("created by PUT");
    }

    [Fact]
    public async Task Stale_or_wrong_If_Match_gets_412_and_changes_nothing_while_the_current_ETag_succeeds()
    {
        await using var proxy = await ProxyTestHost.StartAsync(NoRoutes);
        using var admin = new AdminClient(proxy.AdminUrl);
        var port = TestClient.FreePort();
        var original = (await admin.CreateAsync(EchoWithPriority("tagged", port, 0))).ETag;

        string current;
        using (var response = await admin.PutAsync("/api/routes/tagged", EchoWithPriority("tagged", port, 1), original))
        {
            await AdminClient.AssertStatusAsync(response, HttpStatusCode.OK);
            current = response.Headers.ETag!.Tag;
            Assert.NotEqual(original, current);
        }

        using (var response = await admin.PutAsync("/api/routes/tagged", EchoWithPriority("tagged", port, 2), original))
        {
            var problem = await AdminClient.ReadProblemAsync(response, HttpStatusCode.PreconditionFailed);
            Assert.Contains(current, problem.Detail, StringComparison.Ordinal);
        }

        var unchanged = await admin.GetRouteAsync("tagged");
        Assert.Equal((current, 1), (unchanged.ETag, unchanged.Route.Priority));

        using (var response = await admin.DeleteAsync("/api/routes/tagged", "\"12345\""))
        {
            await AdminClient.ReadProblemAsync(response, HttpStatusCode.PreconditionFailed);
        }

        using (var client = await TestClient.ConnectAsync(port))
        {
            await client.AssertEchoesAsync("still there after a refused delete");
        }

        using (var response = await admin.DeleteAsync("/api/routes/tagged", original))
        {
            await AdminClient.ReadProblemAsync(response, HttpStatusCode.PreconditionFailed);
        }

        using (var response = await admin.DeleteAsync("/api/routes/tagged", current))
        {
            await AdminClient.AssertStatusAsync(response, HttpStatusCode.NoContent);
        }

        await admin.AssertMissingAsync("tagged");

        // If-Match on a route that does not exist (any more) can never match.
        using (var response = await admin.PutAsync("/api/routes/tagged", EchoWithPriority("tagged", port, 3), current))
        {
            await AdminClient.ReadProblemAsync(response, HttpStatusCode.PreconditionFailed);
        }

        using (var response = await admin.DeleteAsync("/api/routes/tagged", current))
        {
            await AdminClient.ReadProblemAsync(response, HttpStatusCode.PreconditionFailed);
        }

        using (var response = await admin.DeleteAsync("/api/routes/tagged"))
        {
            await AdminClient.ReadProblemAsync(response, HttpStatusCode.NotFound);
        }

        await admin.AssertMissingAsync("tagged");
    }

    [Fact]
    public async Task Routes_from_the_configuration_file_are_read_only_through_the_api_and_their_ids_are_taken()
    {
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(new { BindAddress = "127.0.0.1", Routes = new[] { Echo("from-file", port) } });
        using var admin = new AdminClient(proxy.AdminUrl);
        var version = proxy.Config.Current.Version;

        var entry = await admin.GetRouteAsync("from-file");
        Assert.Equal("config", entry.Origin);
        var other = TestClient.FreePort();

        using (var response = await admin.PutAsync("/api/routes/from-file", Echo("from-file", other)))
        {
            var problem = await AdminClient.ReadProblemAsync(response, HttpStatusCode.Conflict);
            Assert.Contains("from-file", problem.Detail, StringComparison.Ordinal);
        }

        using (var response = await admin.PutAsync("/api/routes/from-file", Echo("from-file", other), entry.ETag))
        {
            await AdminClient.ReadProblemAsync(response, HttpStatusCode.Conflict);
        }

        using (var response = await admin.DeleteAsync("/api/routes/from-file"))
        {
            await AdminClient.ReadProblemAsync(response, HttpStatusCode.Conflict);
        }

        using (var response = await admin.PostAsync("/api/routes", Echo("from-file", other)))
        {
            await AdminClient.ReadProblemAsync(response, HttpStatusCode.Conflict);
        }

        // Ids are unique across both origins whatever their case.
        using (var response = await admin.PostAsync("/api/routes", Echo("FROM-FILE", other)))
        {
            await AdminClient.ReadProblemAsync(response, HttpStatusCode.Conflict);
        }

        using (var response = await admin.PostAsync("/api/routes/validate", Echo("from-file", other)))
        {
            await AdminClient.ReadProblemAsync(response, HttpStatusCode.Conflict);
        }

        Assert.Equal(version, proxy.Config.Current.Version);
        var listed = Assert.Single((await admin.ListAsync()).Routes);
        Assert.Equal(("config", port.ToString(CultureInfo.InvariantCulture)), (listed.Origin, Assert.Single(listed.Route.Match!.Ports)));
        using var client = await TestClient.ConnectAsync(port);
        await client.AssertEchoesAsync("the file's route is untouched");
        var refused = await Assert.ThrowsAsync<SocketException>(() => TestClient.ConnectAsync(other));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    [Fact]
    public async Task Concurrent_conditional_puts_never_lose_an_update_and_each_success_is_audited_once()
    {
        const int Writers = 20;
        const int MaxAttempts = 100;
        await using var proxy = await ProxyTestHost.StartAsync(NoRoutes);
        using var admin = new AdminClient(proxy.AdminUrl);
        var port = TestClient.FreePort();
        var initial = await admin.CreateAsync(EchoWithPriority("contended", port, -1));

        var outcomes = new ConcurrentQueue<(HttpStatusCode Status, string IfMatch, string? ETag, int Priority)>();
        using var start = new SemaphoreSlim(0, Writers);
        var writers = Enumerable.Range(0, Writers).Select(async writer =>
        {
            using var client = new AdminClient(proxy.AdminUrl);
            await start.WaitAsync();
            // Each writer reads and writes until one of its updates lands (a 412 means: read again).
            for (var attempt = 0; attempt < MaxAttempts; attempt++)
            {
                var seen = await client.GetRouteAsync("contended");
                var priority = (writer * MaxAttempts) + attempt;
                using var response = await client.PutAsync("/api/routes/contended", EchoWithPriority("contended", port, priority), seen.ETag);
                outcomes.Enqueue((response.StatusCode, seen.ETag, response.Headers.ETag?.Tag, priority));
                if (response.StatusCode != HttpStatusCode.PreconditionFailed)
                {
                    return;
                }
            }
        }).ToArray();
        start.Release(Writers);
        await Task.WhenAll(writers).WaitAsync(TestTimeouts.Reload);

        Assert.All(outcomes, o => Assert.True(o.Status is HttpStatusCode.OK or HttpStatusCode.PreconditionFailed, $"Unexpected {(int)o.Status}"));
        var successes = outcomes.Where(o => o.Status == HttpStatusCode.OK).ToList();
        Assert.Equal(Writers, successes.Count);
        Assert.Contains(outcomes, o => o.Status == HttpStatusCode.PreconditionFailed);
        Assert.All(successes, o => Assert.NotNull(o.ETag));
        var etags = successes.Select(o => o.ETag!).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(successes.Count, etags.Count);
        Assert.DoesNotContain(initial.ETag, etags);

        // No lost update: every success replaced a different version, and that version was the initial one or one a
        // success wrote; so the successes form one chain from the initial version.
        var bases = successes.Select(o => o.IfMatch).ToList();
        Assert.Equal(bases.Count, bases.Distinct(StringComparer.Ordinal).Count());
        Assert.All(bases, b => Assert.True(b == initial.ETag || etags.Contains(b), $"A success replaced unknown version {b}."));

        var last = successes.MaxBy(o => long.Parse(o.ETag!.Trim('"'), CultureInfo.InvariantCulture));
        var final = await admin.GetRouteAsync("contended");
        Assert.Equal((last.ETag, last.Priority), (final.ETag, final.Route.Priority ?? int.MinValue));
        Assert.Equal(final.ETag, Assert.Single((await admin.ListAsync()).Routes).ETag);

        var audit = await admin.GetJsonAsync<List<AuditRecord>>("/api/audit?limit=1000");
        var ofRoute = audit.Where(a => a.RouteId == "contended").ToList();
        Assert.Equal(successes.Count, ofRoute.Count(a => a.Action == "replace"));
        Assert.Equal(1, ofRoute.Count(a => a.Action == "create"));
        Assert.Equal(successes.Count + 1, ofRoute.Count);
        Assert.All(ofRoute, a => Assert.Equal(AdminKeys.Anonymous, a.KeyId));

        // The audit's replaces chain: each one starts from what the one before it wrote.
        var chain = ofRoute.OrderBy(a => a.Sequence).ToList();
        for (var i = 1; i < chain.Count; i++)
        {
            Assert.Equal(chain[i - 1].After, chain[i].Before);
        }

        Assert.Equal(last.Priority, System.Text.Json.JsonSerializer.Deserialize<RouteConfig>(chain[^1].After!, RouteJson.Options)!.Priority);
        using var echo = await TestClient.ConnectAsync(port);
        await echo.AssertEchoesAsync("after the contention");
    }
}
