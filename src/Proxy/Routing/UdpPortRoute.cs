using System.Net;

namespace Proxy.Routing;

/// <summary>A UDP port and the one route that serves it.</summary>
internal sealed record UdpPortRoute(int Port, IPAddress BindAddress, Route Route);
