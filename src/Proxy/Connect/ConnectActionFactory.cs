using Proxy.Routing;

namespace Proxy.Connect;

/// <summary>Builds <see cref="ConnectAction"/>s from <c>{ Type: Connect, Via?, Destinations, AllowAnonymous? }</c>.</summary>
internal sealed class ConnectActionFactory : IRouteActionFactory
{
    public IReadOnlyCollection<string> Types { get; } = ["Connect"];

    public IRouteAction? Create(RouteActionContext context)
    {
        var (egress, users) = ProxyEgressFactory.Create(context);
        return egress is null ? null : new ConnectAction(egress, users, context.Action.AllowAnonymous);
    }
}
