using System.Collections.Frozen;
using System.Net;
using Microsoft.Extensions.Logging;
using Proxy.Configuration;
using Proxy.Destinations;
using Proxy.Networking;
using Proxy.ProxyProtocol;
using Proxy.Routing;

namespace Proxy.Forwarding;

/// <summary>Builds <see cref="ForwardAction"/>s from <c>{ Type: Forward, Targets, LoadBalancing, ProxyProtocol, PassiveHealth, HealthCheck.Active }</c>.
/// A target keeps its state from one configuration to the next while its route keeps it (same route id and address):
/// a reload, an API change or a renewed certificate neither brings a dead target back nor forgets its connections.</summary>
internal sealed class ForwardActionFactory(ILogger<ForwardAction> logger) : IRouteActionFactory
{
    /// <summary>The targets of the snapshot in force, by route id and address (see <see cref="Applied"/>).</summary>
    private volatile FrozenDictionary<string, Dictionary<string, ForwardTarget>> _targets = FrozenDictionary<string, Dictionary<string, ForwardTarget>>.Empty;

    public IReadOnlyCollection<string> Types { get; } = ["Forward"];

    public IRouteAction? Create(RouteActionContext context)
    {
        var (routeId, action, errors) = (context.RouteId, context.Action, context.Errors);
        var before = errors.Count;
        if (action.Targets.Count == 0)
        {
            context.Error("Action.Targets", "A Forward action needs at least one target.");
        }

        var targets = new ForwardTarget[action.Targets.Count];
        var previous = _targets.GetValueOrDefault(routeId);
        var current = new Dictionary<string, ForwardTarget>(StringComparer.Ordinal);
        for (var i = 0; i < targets.Length; i++)
        {
            var address = action.Targets[i];
            if (current.TryGetValue(address, out var listed)
                || (previous?.TryGetValue(address, out listed) == true && (listed.Addresses is null || listed.Addresses.Refresh == context.DnsRefresh)))
            {
                targets[i] = current[address] = listed;
            }
            else if (HostPort.TryParse(address, out var host, out var port))
            {
                targets[i] = current[address] = IpAddressText.TryParse(host, out var literal)
                    ? new ForwardTarget(address, port, literal, null)
                    : new ForwardTarget(address, port, null, new TargetAddresses(routeId, host, context.DnsRefresh, logger));
            }
            else
            {
                context.Error($"Action.Targets[{i}]", $"'{action.Targets[i]}' is not host:port (IPv6 as [addr]:port).");
            }
        }

        var policy = LoadBalancingPolicy.RoundRobin;
        if (action.LoadBalancing is not null && (!Enum.TryParse(action.LoadBalancing, ignoreCase: true, out policy) || !Enum.IsDefined(policy)))
        {
            context.Error("Action.LoadBalancing",
                $"'{action.LoadBalancing}' is not one of {string.Join(", ", Enum.GetNames<LoadBalancingPolicy>())}.");
        }

        var header = ProxyHeaderVersion.None;
        if (action.ProxyProtocol is not null && (!Enum.TryParse(action.ProxyProtocol, ignoreCase: true, out header) || !Enum.IsDefined(header)))
        {
            context.Error("Action.ProxyProtocol", $"'{action.ProxyProtocol}' is not one of None, V1, V2.");
        }

        var maxFailures = action.PassiveHealth?.MaxFailures ?? 3;
        var coolDown = action.PassiveHealth?.CoolDown ?? TimeSpan.FromSeconds(10);
        if (maxFailures <= 0)
        {
            context.Error("Action.PassiveHealth.MaxFailures", "Must be greater than zero.");
        }

        if (coolDown <= TimeSpan.Zero)
        {
            context.Error("Action.PassiveHealth.CoolDown", "Must be a positive time span such as 00:00:10.");
        }

        var probe = Probe(context);
        if (action.Handler is not null)
        {
            context.Error("Action.Handler", "Handler is only used by a Handler action.");
        }

        if (errors.Count > before)
        {
            return null;
        }

        return new ForwardAction(new TargetPool(targets, policy, maxFailures, coolDown, probe), header, logger);
    }

    /// <summary>The next compile hands on the targets of the routes in force, and only theirs: a dry run or a rejected
    /// change that lists other targets does not reset the running ones, and a deleted route's targets are let go. A
    /// target name new to the routes in force is looked up now, not by its first connection (nor by a UDP port's first
    /// datagram, which could only be dropped while it resolves); a dry run looks nothing up.</summary>
    public void Applied(ProxySnapshot snapshot)
    {
        var targets = new Dictionary<string, Dictionary<string, ForwardTarget>>(StringComparer.Ordinal);
        foreach (var route in snapshot.Routes)
        {
            if (route.Action is ForwardAction forward)
            {
                targets[route.Id] = forward.Pool.Distinct.ToDictionary(t => t.Address, StringComparer.Ordinal);
                foreach (var target in forward.Pool.Distinct)
                {
                    target.Addresses?.Warm();
                }
            }
        }

        _targets = targets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary><c>HealthCheck.Active</c> as a TCP connect probe; the HTTP-only parts of <c>HealthCheck</c> are errors here.</summary>
    private static TargetProbe? Probe(RouteActionContext context)
    {
        if (context.Action.HealthCheck is not { } health)
        {
            return null;
        }

        if (health.Passive is not null)
        {
            context.Error("Action.HealthCheck.Passive", "A Forward route's passive health is Action.PassiveHealth.");
        }

        if (health.Active is not { } active)
        {
            return null;
        }

        if (active.Path is not null)
        {
            context.Error("Action.HealthCheck.Active.Path", "A Forward target is probed by connecting to it; Path is for Http routes.");
        }

        foreach (var (field, message) in active.SpanErrors())
        {
            context.Error(field, message);
        }

        return new TargetProbe(active.Interval ?? TargetProbe.DefaultInterval, active.Timeout ?? TargetProbe.DefaultTimeout);
    }
}
