using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Proxy.Configuration;

/// <summary>The JSON form of routes, shared by the admin API and the route store: the names of <c>appsettings.json</c>
/// in camelCase (the web convention), read case-insensitively (so a route pasted from the file works), unknown
/// members refused (a typo must not be silently ignored).</summary>
public static class RouteJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            PropertyNameCaseInsensitive = true,
            // ETags are quoted strings; write them as "\"12\"" rather than "\u002212\u0022".
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            ReadCommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
