using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Proxy.Admin;
using Proxy.Configuration;
using Proxy.Tests.Infrastructure;

namespace Proxy.Tests.Admin;

/// <summary>A real HTTP client for the admin API (no proxy, generous timeouts) with the request and assertion helpers
/// the admin tests share. Every helper returns the response; the caller disposes it.</summary>
internal sealed class AdminClient : IDisposable
{
    public const string ProblemContentType = "application/problem+json";

    private readonly HttpClient _client;

    public AdminClient(Uri adminUrl, string? apiKey = null)
    {
        _client = new HttpClient(new SocketsHttpHandler { UseProxy = false, ConnectTimeout = TestTimeouts.Io })
        {
            BaseAddress = adminUrl,
            Timeout = TestTimeouts.Io,
        };
        if (apiKey is not null)
        {
            _client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }
    }

    public HttpClient Http => _client;

    public Task<HttpResponseMessage> GetAsync(string path) => _client.GetAsync(new Uri(path, UriKind.Relative));

    public Task<HttpResponseMessage> PostAsync(string path, object route) => SendAsync(HttpMethod.Post, path, JsonContent.Create(route), null);

    public Task<HttpResponseMessage> PutAsync(string path, object route, string? ifMatch = null)
        => SendAsync(HttpMethod.Put, path, JsonContent.Create(route), ifMatch);

    public Task<HttpResponseMessage> DeleteAsync(string path, string? ifMatch = null) => SendAsync(HttpMethod.Delete, path, null, ifMatch);

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content, string? ifMatch)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = content };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return await _client.SendAsync(request);
    }

    /// <summary>A body sent exactly as written (for malformed JSON), as <c>application/json</c> unless told otherwise.</summary>
    public static StringContent RawJson(string text, string mediaType = "application/json") => new(text, Encoding.UTF8, mediaType);

    /// <summary>POSTs a route, asserts 201 and returns the entry (its ETag equals the response's ETag header).</summary>
    public async Task<RouteEntry> CreateAsync(object route)
    {
        using var response = await PostAsync("/api/routes", route);
        await AssertStatusAsync(response, HttpStatusCode.Created);
        var entry = await ReadEntryAsync(response);
        Assert.Equal(entry.ETag, response.Headers.ETag?.Tag);
        return entry;
    }

    /// <summary>GETs one route, asserts 200 and returns it.</summary>
    public async Task<RouteEntry> GetRouteAsync(string id)
    {
        using var response = await GetAsync("/api/routes/" + id);
        await AssertStatusAsync(response, HttpStatusCode.OK);
        var entry = await ReadEntryAsync(response);
        Assert.Equal(entry.ETag, response.Headers.ETag?.Tag);
        return entry;
    }

    public async Task<RouteList> ListAsync()
    {
        using var response = await GetAsync("/api/routes");
        await AssertStatusAsync(response, HttpStatusCode.OK);
        return await ReadAsync<RouteList>(response, RouteJson.Options);
    }

    public async Task<T> GetJsonAsync<T>(string path)
    {
        using var response = await GetAsync(path);
        await AssertStatusAsync(response, HttpStatusCode.OK);
        return await ReadAsync<T>(response, JsonSerializerOptions.Web);
    }

    /// <summary>Asserts GET /api/routes/{id} answers 404 with a problem.</summary>
    public async Task AssertMissingAsync(string id)
    {
        using var response = await GetAsync("/api/routes/" + id);
        await ReadProblemAsync(response, HttpStatusCode.NotFound);
    }

    public static Task<RouteEntry> ReadEntryAsync(HttpResponseMessage response) => ReadAsync<RouteEntry>(response, RouteJson.Options);

    public static async Task<T> ReadAsync<T>(HttpResponseMessage response, JsonSerializerOptions options)
    {
        var body = await response.Content.ReadAsStringAsync();
        return JsonSerializer.Deserialize<T>(body, options) ?? throw new InvalidDataException($"Not a {typeof(T).Name}: '{body}'.");
    }

    public static async Task AssertStatusAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        if (response.StatusCode != expected)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.Fail($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: expected {(int)expected}, got {(int)response.StatusCode} {body}");
        }
    }

    /// <summary>Asserts the status and that the body is an RFC 9457 problem (<c>application/problem+json</c>), and reads it.</summary>
    public static async Task<ProblemView> ReadProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        await AssertStatusAsync(response, expected);
        Assert.Equal(ProblemContentType, response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        Assert.Equal((int)expected, root.GetProperty("status").GetInt32());
        var errors = new List<FieldError>();
        if (root.TryGetProperty("errors", out var list))
        {
            foreach (var error in list.EnumerateArray())
            {
                errors.Add(new FieldError(
                    error.TryGetProperty("routeId", out var routeId) && routeId.ValueKind == JsonValueKind.String ? routeId.GetString() : null,
                    error.GetProperty("field").GetString()!,
                    error.GetProperty("message").GetString()!));
            }
        }

        return new ProblemView(
            root.TryGetProperty("title", out var title) ? title.GetString() : null,
            root.TryGetProperty("detail", out var detail) ? detail.GetString() : null,
            errors,
            body);
    }

    public void Dispose() => _client.Dispose();
}

/// <summary>A problem details response as the tests read it.</summary>
internal sealed record ProblemView(string? Title, string? Detail, IReadOnlyList<FieldError> Errors, string Body)
{
    /// <summary>Asserts an <c>errors</c> entry names <paramref name="routeId"/> and <paramref name="field"/>.</summary>
    public void AssertError(string? routeId, string field)
        => Assert.True(Errors.Any(e => e.RouteId == routeId && e.Field == field), $"No error for route '{routeId}', field '{field}' in {Body}");
}
