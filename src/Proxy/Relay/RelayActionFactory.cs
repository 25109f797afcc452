using Proxy.Destinations;
using Proxy.Http;
using Proxy.Routing;

namespace Proxy.Relay;

/// <summary>Builds <see cref="RelayAction"/>s from <c>{ Type: Relay, Tokens, Destinations, Tls?, MaxTunnels?, MaxTunnelsPerToken? }</c>.</summary>
internal sealed class RelayActionFactory : IRouteActionFactory
{
    public IReadOnlyCollection<string> Types { get; } = ["Relay"];

    public IRouteAction? Create(RouteActionContext context)
    {
        var action = context.Action;
        var before = context.Errors.Count;
        var certificate = HttpActionFactory.Certificate(context);
        var route = HttpActionFactory.Route(context);
        route = route with
        {
            Match = route.Match with { Path = context.Route.Match?.Path ?? RelayProtocol.DefaultPath },
            Metadata = new Dictionary<string, string> { [HttpMetadata.Relay] = context.RouteId },
        };
        var tokens = RelayTokens.Compile(action.Tokens, context);
        var policy = DestinationPolicy.Compile(action.Destinations, "Action.Destinations", context);
        if (action.MaxTunnels is <= 0)
        {
            context.Error("Action.MaxTunnels", "Must be greater than zero.");
        }

        if (action.MaxTunnelsPerToken is <= 0)
        {
            context.Error("Action.MaxTunnelsPerToken", "Must be greater than zero.");
        }

        if (action.Targets.Count > 0 || action.Via is not null)
        {
            context.Error("Action.Targets", "A Relay route dials the destinations its clients name; it takes no Targets or Via.");
        }

        return context.Errors.Count > before || tokens is null || policy is null
            ? null
            : new RelayAction(route, certificate, tokens, policy, action.MaxTunnels ?? 1000, action.MaxTunnelsPerToken ?? 100, context.RelayKeepAlive);
    }
}
