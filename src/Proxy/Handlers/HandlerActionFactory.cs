using Proxy.Configuration;
using Proxy.Routing;

namespace Proxy.Handlers;

/// <summary>Builds <see cref="HandlerAction"/>s from <c>{ Type: Handler, Handler: name }</c>, checking the name is registered.</summary>
internal sealed class HandlerActionFactory(IEnumerable<IConnectionRouteHandler> handlers) : IRouteActionFactory
{
    private readonly Dictionary<string, IConnectionRouteHandler> _handlers = handlers.ToDictionary(h => h.Name, StringComparer.OrdinalIgnoreCase);

    public IReadOnlyCollection<string> Types { get; } = ["Handler"];

    public IRouteAction? Create(RouteActionContext context)
    {
        var (routeId, action, errors) = (context.RouteId, context.Action, context.Errors);
        if (string.IsNullOrWhiteSpace(action.Handler))
        {
            errors.Add(new ConfigError(routeId, "Action.Handler", "A Handler action needs the name of a handler."));
            return null;
        }

        if (!_handlers.TryGetValue(action.Handler, out var handler))
        {
            errors.Add(new ConfigError(routeId, "Action.Handler",
                $"No handler named '{action.Handler}' is registered (known: {string.Join(", ", _handlers.Keys.Order(StringComparer.Ordinal))})."));
            return null;
        }

        if (action.Targets.Count > 0)
        {
            errors.Add(new ConfigError(routeId, "Action.Targets", "Targets are not used by a Handler action."));
            return null;
        }

        return new HandlerAction(handler);
    }
}
