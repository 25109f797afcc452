using System.Net;
using Proxy.Store;
using Proxy.Tests.Infrastructure;
using static Proxy.Tests.Infrastructure.TestRoutes;

namespace Proxy.Tests.Admin;

public sealed class RouteStoreRestartTests
{
    [Fact]
    public async Task Api_routes_survive_a_restart_on_the_same_store_and_carry_traffic_at_once()
    {
        await using var backend = TcpBackend.Greeting("kept");
        var kept = TestClient.FreePort();
        var gone = TestClient.FreePort();
        var section = new { BindAddress = "127.0.0.1" };
        var directory = Directory.CreateTempSubdirectory("proxy-admin-restart-").FullName;
        try
        {
            string keptETag;
            await using (var first = await ProxyOnDirectory.StartAsync(section, directory))
            {
                using var admin = new AdminClient(first.AdminUrl);
                keptETag = (await admin.CreateAsync(Forward("kept", kept, backend.Address))).ETag;
                await admin.CreateAsync(Echo("gone", gone));
                using var response = await admin.DeleteAsync("/api/routes/gone");
                await AdminClient.AssertStatusAsync(response, HttpStatusCode.NoContent);
            }

            Assert.True(File.Exists(Path.Combine(directory, "data", "proxy.db")));

            await using var second = await ProxyOnDirectory.StartAsync(section, directory);
            using (var client = await TestClient.ConnectAsync(kept))
            {
                Assert.Equal("kept", await client.ReadTextAsync(4));
                await client.AssertEchoesAsync("after the restart");
            }

            using var restarted = new AdminClient(second.AdminUrl);
            var entry = Assert.Single((await restarted.ListAsync()).Routes);
            Assert.Equal(("kept", "api", keptETag), (entry.Route.Id, entry.Origin, entry.ETag));
            Assert.Equal([backend.Address], entry.Route.Action!.Targets);
            await restarted.AssertMissingAsync("gone");

            var audit = await restarted.GetJsonAsync<List<AuditRecord>>("/api/audit");
            Assert.Equal([("delete", "gone"), ("create", "gone"), ("create", "kept")], audit.Select(a => (a.Action, a.RouteId)));

            // The restored route is a normal API route: its ETag still guards it.
            using (var response = await restarted.DeleteAsync("/api/routes/kept", keptETag))
            {
                await AdminClient.AssertStatusAsync(response, HttpStatusCode.NoContent);
            }

            Assert.Empty((await restarted.ListAsync()).Routes);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
