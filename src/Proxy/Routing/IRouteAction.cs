using Proxy.Connections;

namespace Proxy.Routing;

/// <summary>What a route does with a connection it matched; the action owns the connection until it returns.</summary>
internal interface IRouteAction
{
    Task ExecuteAsync(ProxyConnection connection);
}
