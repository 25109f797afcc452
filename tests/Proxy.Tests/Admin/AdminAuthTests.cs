using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Proxy.Admin;
using Proxy.Configuration;
using Proxy.Store;
using Proxy.Tests.Infrastructure;
using static Proxy.Tests.Infrastructure.TestRoutes;

namespace Proxy.Tests.Admin;

public sealed class AdminAuthTests
{
    private const string OpsKey = "ops-key-0123456789abcdef";
    private const string CiKey = "ci-key-fedcba9876543210";

    private static (object Section, Uri AdminUrl) WithKeys()
    {
        var adminPort = TestClient.FreePort();
        var section = new
        {
            BindAddress = "127.0.0.1",
            Admin = new
            {
                Urls = new[] { $"http://127.0.0.1:{adminPort}" },
                ApiKeys = new[] { new { Id = "ops", Key = OpsKey }, new { Id = "ci", Key = CiKey } },
            },
        };
        return (section, new Uri($"http://127.0.0.1:{adminPort}"));
    }

    [Fact]
    public async Task Requests_without_a_valid_key_get_401_and_either_header_with_a_valid_key_is_accepted()
    {
        var (section, adminUrl) = WithKeys();
        await using var proxy = await ProxyTestHost.StartAsync(section);
        using var anonymous = new AdminClient(adminUrl);
        var port = TestClient.FreePort();

        foreach (var path in new[] { "/api/routes", "/api/routes/any", "/api/listeners", "/api/status", "/api/audit", "/metrics" })
        {
            using var response = await anonymous.GetAsync(path);
            var problem = await AdminClient.ReadProblemAsync(response, HttpStatusCode.Unauthorized);
            Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
            Assert.Equal("Unauthorized", problem.Title);
        }

        using (var response = await anonymous.PostAsync("/api/routes", Echo("sneaky", port)))
        {
            await AdminClient.ReadProblemAsync(response, HttpStatusCode.Unauthorized);
        }

        foreach (var (header, value) in new[]
        {
            ("X-Api-Key", "wrong-key-0123456789abcdef"),
            ("X-Api-Key", OpsKey[..^1]),
            ("X-Api-Key", OpsKey + "x"),
            ("Authorization", "Bearer wrong-key-0123456789abcdef"),
            ("Authorization", "Basic " + OpsKey),
        })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/routes", UriKind.Relative));
            request.Headers.TryAddWithoutValidation(header, value);
            using var response = await anonymous.Http.SendAsync(request);
            await AdminClient.ReadProblemAsync(response, HttpStatusCode.Unauthorized);
            Assert.NotEmpty(response.Headers.WwwAuthenticate);
        }

        using (var viaHeader = new AdminClient(adminUrl, OpsKey))
        {
            await viaHeader.CreateAsync(Echo("by-ops", port));
        }

        using (var viaBearer = new AdminClient(adminUrl))
        {
            viaBearer.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", CiKey);
            Assert.Equal("api", (await viaBearer.GetRouteAsync("by-ops")).Origin);
            using var response = await viaBearer.DeleteAsync("/api/routes/by-ops");
            await AdminClient.AssertStatusAsync(response, HttpStatusCode.NoContent);
            var audit = await viaBearer.GetJsonAsync<List<AuditRecord>>("/api/audit");
            Assert.Equal([("delete", "ci"), ("create", "ops")], audit.Select(a => (a.Action, a.KeyId)));
            Assert.DoesNotContain(audit, a => a.RouteId == "sneaky");
            Assert.DoesNotContain(OpsKey, JsonSerializer.Serialize(audit), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Health_and_the_OpenAPI_document_need_no_key_and_the_document_describes_the_routes_api()
    {
        var (section, adminUrl) = WithKeys();
        await using var proxy = await ProxyTestHost.StartAsync(section);
        using var anonymous = new AdminClient(adminUrl);

        using (var health = await anonymous.GetAsync("/healthz"))
        {
            await AdminClient.AssertStatusAsync(health, HttpStatusCode.OK);
            Assert.Contains("Healthy", await health.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using var response = await anonymous.GetAsync("/openapi/v1.json");
        await AdminClient.AssertStatusAsync(response, HttpStatusCode.OK);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var paths = document.RootElement.GetProperty("paths");
        foreach (var path in new[] { "/api/routes", "/api/routes/{id}", "/api/routes/validate", "/api/listeners", "/api/status", "/api/audit" })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"The OpenAPI document lacks {path}.");
        }

        var routes = paths.GetProperty("/api/routes");
        Assert.True(routes.TryGetProperty("get", out _));
        Assert.True(routes.TryGetProperty("post", out var post));
        Assert.Contains("RouteConfig", post.GetProperty("requestBody").GetRawText(), StringComparison.Ordinal);
        var item = paths.GetProperty("/api/routes/{id}");
        Assert.True(item.TryGetProperty("put", out _) && item.TryGetProperty("delete", out _) && item.TryGetProperty("get", out _));

        var schemas = document.RootElement.GetProperty("components").GetProperty("schemas");
        Assert.True(schemas.TryGetProperty("RouteConfig", out var routeConfig), "No RouteConfig schema.");
        var properties = routeConfig.GetProperty("properties");
        foreach (var property in new[] { "id", "priority", "match", "action" })
        {
            Assert.True(properties.TryGetProperty(property, out _), $"RouteConfig lacks '{property}'.");
        }
    }

    [Fact]
    public async Task A_reload_rotates_the_keys_and_one_with_a_short_key_is_rejected_keeping_the_old_ones()
    {
        const string Rotated = "rotated-key-0123456789abcdef";
        var (section, adminUrl) = WithKeys();
        await using var proxy = await ProxyTestHost.StartAsync(section);
        using var ops = new AdminClient(adminUrl, OpsKey);
        using var rotated = new AdminClient(adminUrl, Rotated);
        using (var response = await ops.GetAsync("/api/routes"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var admin = new { Urls = new[] { adminUrl.ToString().TrimEnd('/') }, ApiKeys = new[] { new { Id = "ops-2", Key = Rotated } } };
        Assert.True(await proxy.ReloadAsync(new { BindAddress = "127.0.0.1", Admin = admin }));

        using (var response = await ops.GetAsync("/api/routes"))
        {
            await AdminClient.ReadProblemAsync(response, HttpStatusCode.Unauthorized);
        }

        using (var response = await rotated.GetAsync("/api/routes"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var tooShort = new { Urls = admin.Urls, ApiKeys = new[] { new { Id = "short", Key = "0123456789abcde" } } };
        Assert.False(await proxy.ReloadAsync(new { BindAddress = "127.0.0.1", Admin = tooShort }));
        await proxy.Logs.WaitForAsync(e => e.Message.Contains("field Admin.ApiKeys[0].Key", StringComparison.Ordinal));
        using (var response = await rotated.GetAsync("/api/routes"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public void Keys_of_an_admin_api_listening_beyond_loopback_cannot_all_be_removed_by_a_reload()
    {
        var errors = new List<ConfigError>();
        var settings = AdminSettings.Create(new AdminOptions { Urls = ["http://0.0.0.0:9900"], ApiKeys = [new ApiKeyConfig { Id = "ops", Key = OpsKey }] }, errors)!;
        Assert.Empty(errors);

        // The same URLs without keys; or loopback named for the next start, while the open URL listens until then.
        Assert.Null(settings.CompileKeys(new AdminOptions { Urls = ["http://0.0.0.0:9900"] }, errors));
        var error = Assert.Single(errors);
        Assert.Equal("Admin.Urls[0]", error.Field);
        Assert.Contains("http://0.0.0.0:9900", error.Message, StringComparison.Ordinal);
        errors.Clear();
        Assert.Null(settings.CompileKeys(new AdminOptions { Urls = ["http://127.0.0.1:9900"] }, errors));
        error = Assert.Single(errors);
        Assert.Equal("Admin.ApiKeys", error.Field);
        Assert.Contains("http://0.0.0.0:9900", error.Message, StringComparison.Ordinal);
        errors.Clear();
        Assert.NotNull(settings.CompileKeys(new AdminOptions { Urls = ["http://0.0.0.0:9900"], ApiKeys = [new ApiKeyConfig { Id = "ci", Key = CiKey }] }, errors));
        Assert.Empty(errors);
    }

    [Fact]
    public async Task A_reload_that_would_open_the_admin_api_beyond_loopback_without_a_key_is_rejected()
    {
        await using var proxy = await ProxyTestHost.StartAsync(new { BindAddress = "127.0.0.1" });

        // Applied, the proxy would keep running and then refuse to start on its next restart; refused now instead.
        var open = new { Urls = new[] { $"http://0.0.0.0:{TestClient.FreePort()}" } };
        Assert.False(await proxy.ReloadAsync(new { BindAddress = "127.0.0.1", Admin = open }));
        await proxy.Logs.WaitForAsync(e => e.Message.Contains("field Admin.Urls[0]: The admin API would listen on", StringComparison.Ordinal));

        var malformed = new { Urls = new[] { "https://127.0.0.1:9900/admin" } };
        Assert.False(await proxy.ReloadAsync(new { BindAddress = "127.0.0.1", Admin = malformed }));
        await proxy.Logs.WaitForAsync(e => e.Message.Contains("is not an http://address:port URL", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Admin_api_on_a_non_loopback_address_without_api_keys_refuses_to_start()
    {
        var section = new { Admin = new { Urls = new[] { $"http://0.0.0.0:{TestClient.FreePort()}" } } };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => ProxyTestHost.StartAsync(section));

        Assert.Contains("ApiKeys", error.Message, StringComparison.Ordinal);
        Assert.Contains("Admin.Urls[0]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Api_key_shorter_than_16_characters_refuses_to_start()
    {
        var section = new
        {
            Admin = new { Urls = new[] { $"http://127.0.0.1:{TestClient.FreePort()}" }, ApiKeys = new[] { new { Id = "short", Key = "0123456789abcde" } } },
        };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => ProxyTestHost.StartAsync(section));

        Assert.Contains("Admin.ApiKeys[0].Key", error.Message, StringComparison.Ordinal);
        Assert.Contains("16", error.Message, StringComparison.Ordinal);
    }
}
