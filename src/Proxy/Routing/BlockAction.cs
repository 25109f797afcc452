using Proxy.Configuration;
using Proxy.Connections;

namespace Proxy.Routing;

/// <summary>The Block action: close at once; counted and logged like every refusal.</summary>
internal sealed class BlockAction : IRouteAction, IRouteActionFactory
{
    public IReadOnlyCollection<string> Types { get; } = ["Block"];

    public Task ExecuteAsync(ProxyConnection connection)
    {
        connection.Refuse(CloseReason.Blocked);
        return Task.CompletedTask;
    }

    public IRouteAction? Create(RouteActionContext context)
    {
        if (context.Action.Targets.Count > 0 || context.Action.Handler is not null)
        {
            context.Error("Action", "A Block action takes no Targets or Handler.");
            return null;
        }

        return this;
    }
}
