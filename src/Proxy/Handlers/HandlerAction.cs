using Microsoft.AspNetCore.Connections.Features;
using Proxy.Connections;
using Proxy.Routing;

namespace Proxy.Handlers;

/// <summary>The Handler action: hands the connection to a named <see cref="IConnectionRouteHandler"/>.</summary>
internal sealed class HandlerAction(IConnectionRouteHandler handler) : IRouteAction
{
    public async Task ExecuteAsync(ProxyConnection connection)
    {
        connection.Target = "handler:" + handler.Name;
        var stopping = connection.Context.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? default;
        var context = connection.Context;
        var transport = context.Transport;
        context.Transport = new CountingDuplexPipe(transport, connection);
        try
        {
            await handler.HandleAsync(context, stopping).ConfigureAwait(false);
        }
        finally
        {
            context.Transport = transport;
        }
    }
}
