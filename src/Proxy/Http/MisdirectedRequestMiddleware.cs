using Microsoft.AspNetCore.Http;
using Proxy.Connections;
using Proxy.Routing;

namespace Proxy.Http;

/// <summary>Answers 421 Misdirected Request when a request's Host belongs to a different TLS identity than the
/// connection's SNI: HTTP/2 clients reuse a connection for any name its (wildcard) certificate covers
/// (RFC 9110 §15.5.20, RFC 9113 §9.1.1), so a Host routed elsewhere must be sent back to connect again.</summary>
internal sealed class MisdirectedRequestMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var connection = context.Features.Get<ProxyConnection>();
        if (connection is { SentClientHello: true, ServerName: { } serverName, Route: { } route }
            && !string.Equals(context.Request.Host.Host, serverName, StringComparison.OrdinalIgnoreCase))
        {
            var hostRoute = connection.Port.Match(context.Request.Host.Host.ToLowerInvariant(), connection.ApplicationProtocols, connection.Client.Address);
            if (hostRoute is null || Identity(hostRoute) != Identity(route))
            {
                context.Response.StatusCode = StatusCodes.Status421MisdirectedRequest;
                return context.Response.WriteAsync("421 Misdirected Request: this connection is not for that host.\n");
            }
        }

        return next(context);
    }

    private static string Identity(Route route)
        => route.Action is IHttpRouteAction { Certificate: { } certificate } ? "certificate:" + certificate.Name : "route:" + route.Id;
}
