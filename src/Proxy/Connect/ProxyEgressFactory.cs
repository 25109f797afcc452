using Proxy.Destinations;
using Proxy.Networking;
using Proxy.Routing;

namespace Proxy.Connect;

/// <summary>The parts Connect and Socks5 routes share: credentials, the anonymous-access rule, the destination
/// policy and the egress (direct or a relay pool).</summary>
internal static class ProxyEgressFactory
{
    public static (IEgress? Egress, UserDirectory Users) Create(RouteActionContext context)
    {
        var action = context.Action;
        var before = context.Errors.Count;
        if (action.AllowAnonymous && !LoopbackOnly(context))
        {
            context.Error("Action.AllowAnonymous",
                "Anonymous access is allowed only when the route's Acl.Allow (or Match.ClientIps) admits loopback addresses only; otherwise configure Proxy:Users.");
        }
        else if (!action.AllowAnonymous && context.Users.Count == 0)
        {
            context.Error("Action", "This route requires credentials but Proxy:Users is empty; add users (or AllowAnonymous on a loopback-only route).");
        }

        if (action.Targets.Count > 0)
        {
            context.Error("Action.Targets", "Targets are not used by this action; clients name their destination.");
        }

        var policy = DestinationPolicy.Compile(action.Destinations, "Action.Destinations", context);
        IEgress? egress = null;
        if (action.Via is { } via)
        {
            if (!context.RelayPools.TryGetValue(via, out var pool))
            {
                context.Error("Action.Via", $"No relay pool named '{via}' under Proxy:Relay:Pools.");
            }
            else if (policy is not null)
            {
                // The route's policy holds at the ingress too; the egress then applies its own.
                egress = new PolicyCheckedEgress(policy, pool);
            }
        }
        else if (policy is not null)
        {
            egress = new DirectEgress(policy, context.Limits.ConnectTimeout);
        }

        return (context.Errors.Count > before ? null : egress, context.Users);
    }

    private static bool LoopbackOnly(RouteActionContext context)
    {
        var allow = context.Route.Acl?.Allow is { Count: > 0 } acl ? acl : context.Route.Match?.ClientIps;
        if (allow is not { Count: > 0 })
        {
            return false;
        }

        foreach (var entry in allow)
        {
            if (!NetworkList.TryParseNetwork(entry, out var network)
                || !System.Net.IPAddress.IsLoopback(network.BaseAddress)
                || network.PrefixLength < (network.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 8 : 128))
            {
                return false;
            }
        }

        return true;
    }
}
