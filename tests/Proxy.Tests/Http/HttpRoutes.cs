using Proxy.Tests.Infrastructure;

namespace Proxy.Tests.Http;

/// <summary>Builds HTTP routes and <c>Proxy</c> sections in the configuration's shape. Routes are dictionaries so that
/// only the fields a test sets are written (a JSON null would bind as an empty value, not as absent).</summary>
internal static class HttpRoutes
{
    public const string Loopback = "127.0.0.1";

    /// <summary>An <c>Http</c> route on <paramref name="port"/> to the given <c>http(s)://</c> targets.</summary>
    public static Dictionary<string, object> HttpRoute(string id, int port, params string[] targets)
        => Route(id, port, new Dictionary<string, object> { ["Type"] = "Http", ["Targets"] = targets });

    /// <summary>A <c>Redirect</c> route on <paramref name="port"/>.</summary>
    public static Dictionary<string, object> Redirect(string id, int port, string to, int status)
        => Route(id, port, new Dictionary<string, object> { ["Type"] = "Redirect", ["To"] = to, ["Status"] = status });

    /// <summary>An L4 <c>Forward</c> route for connections whose SNI is one of <paramref name="domains"/>.</summary>
    public static Dictionary<string, object> ForwardByName(string id, int port, string[] domains, string target)
        => Route(id, port, new Dictionary<string, object> { ["Type"] = "Forward", ["Targets"] = new[] { target } }).Match("Domains", domains);

    /// <summary>Sets a field of the route's <c>Match</c>.</summary>
    public static Dictionary<string, object> Match(this Dictionary<string, object> route, string field, object value)
    {
        ((Dictionary<string, object>)route["Match"])[field] = value;
        return route;
    }

    /// <summary>Sets a field of the route's <c>Action</c>.</summary>
    public static Dictionary<string, object> Action(this Dictionary<string, object> route, string field, object value)
    {
        ((Dictionary<string, object>)route["Action"])[field] = value;
        return route;
    }

    /// <summary>Terminates TLS with the named certificate.</summary>
    public static Dictionary<string, object> Terminate(this Dictionary<string, object> route, string certificate)
        => route.Action("Tls", new { Mode = "Terminate", Certificate = certificate });

    /// <summary>A YARP transform, e.g. <c>Transform(("PathRemovePrefix", "/api"))</c>.</summary>
    public static Dictionary<string, string> Transform(params (string Key, string Value)[] pairs)
    {
        var transform = new Dictionary<string, string>();
        foreach (var (key, value) in pairs)
        {
            transform[key] = value;
        }

        return transform;
    }

    /// <summary>A <c>Proxy</c> section listening on loopback only, with the given routes and named certificates.</summary>
    public static Dictionary<string, object> Section(object[] routes, Dictionary<string, object>? certificates = null)
    {
        var section = new Dictionary<string, object> { ["BindAddress"] = Loopback, ["Routes"] = routes };
        if (certificates is not null)
        {
            section["Certificates"] = certificates;
        }

        return section;
    }

    private static Dictionary<string, object> Route(string id, int port, Dictionary<string, object> action) => new()
    {
        ["Id"] = id,
        ["Match"] = new Dictionary<string, object> { ["Ports"] = new[] { TestRoutes.Port(port) } },
        ["Action"] = action,
    };
}
