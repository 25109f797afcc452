using Proxy.Connect;
using Proxy.Routing;

namespace Proxy.Socks;

/// <summary>Builds <see cref="Socks5Action"/>s from <c>{ Type: Socks5, Via?, Destinations, AllowAnonymous? }</c> (users from <c>Proxy:Users</c>).</summary>
internal sealed class Socks5ActionFactory : IRouteActionFactory
{
    public IReadOnlyCollection<string> Types { get; } = ["Socks5"];

    public IRouteAction? Create(RouteActionContext context)
    {
        var (egress, users) = ProxyEgressFactory.Create(context);
        return egress is null ? null : new Socks5Action(egress, users, context.Action.AllowAnonymous);
    }
}
