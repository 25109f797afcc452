namespace Proxy.Routing;

/// <summary>The transport a route listens on.</summary>
internal enum RouteTransport
{
    Tcp,
    Udp,
}
