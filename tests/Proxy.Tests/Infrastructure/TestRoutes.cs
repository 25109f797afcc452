using System.Globalization;

namespace Proxy.Tests.Infrastructure;

/// <summary>Shorthands for route objects in the shape of the <c>Proxy:Routes</c> configuration.</summary>
public static class TestRoutes
{
    public static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    public static object Forward(string id, int port, params string[] targets)
        => new { Id = id, Match = new { Ports = new[] { Port(port) } }, Action = new { Type = "Forward", Targets = targets } };

    public static object Echo(string id, int port) => Handler(id, port, "echo");

    /// <summary>A route to the connection handler registered under <paramref name="handler"/>.</summary>
    public static object Handler(string id, int port, string handler)
        => new { Id = id, Match = new { Ports = new[] { Port(port) } }, Action = new { Type = "Handler", Handler = handler } };

    public static object Routes(params object[] routes) => new { Routes = routes };
}
