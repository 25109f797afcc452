using Proxy.Connections;

namespace Proxy.Routing;

/// <summary>What a route does with a connection it matched; the action owns the connection until it returns.</summary>
internal interface IRouteAction
{
    /// <summary>Whether the action decides from the first client bytes (HTTP, CONNECT, SOCKS) rather than
    /// acting at once; a port whose routes all answer false never waits for the client to speak.</summary>
    bool ReadsClientFirst { get; }

    Task ExecuteAsync(ProxyConnection connection);
}
