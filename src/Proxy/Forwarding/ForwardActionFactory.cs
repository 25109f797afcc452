using System.Buffers;
using Microsoft.Extensions.Logging;
using Proxy.Configuration;
using Proxy.Networking;
using Proxy.ProxyProtocol;
using Proxy.Routing;

namespace Proxy.Forwarding;

/// <summary>Builds <see cref="ForwardAction"/>s from <c>{ Type: Forward, Targets, LoadBalancing, ProxyProtocol, PassiveHealth }</c>.</summary>
internal sealed class ForwardActionFactory(ILogger<ForwardAction> logger) : IRouteActionFactory
{
    private static readonly SearchValues<char> DigitsAndDots = SearchValues.Create("0123456789.");

    public IReadOnlyCollection<string> Types { get; } = ["Forward"];

    public IRouteAction? Create(RouteActionContext context)
    {
        var (routeId, action, errors) = (context.RouteId, context.Action, context.Errors);
        var before = errors.Count;
        if (action.Targets.Count == 0)
        {
            errors.Add(new ConfigError(routeId, "Action.Targets", "A Forward action needs at least one target."));
        }

        var targets = new ForwardTarget[action.Targets.Count];
        for (var i = 0; i < targets.Length; i++)
        {
            if (TryParseTarget(action.Targets[i], out var host, out var port))
            {
                targets[i] = new ForwardTarget(host, port, action.Targets[i]);
            }
            else
            {
                errors.Add(new ConfigError(routeId, $"Action.Targets[{i}]", $"'{action.Targets[i]}' is not host:port (IPv6 as [addr]:port)."));
            }
        }

        var policy = LoadBalancingPolicy.RoundRobin;
        if (action.LoadBalancing is not null && (!Enum.TryParse(action.LoadBalancing, ignoreCase: true, out policy) || !Enum.IsDefined(policy)))
        {
            errors.Add(new ConfigError(routeId, "Action.LoadBalancing",
                $"'{action.LoadBalancing}' is not one of {string.Join(", ", Enum.GetNames<LoadBalancingPolicy>())}."));
        }

        var header = ProxyHeaderVersion.None;
        if (action.ProxyProtocol is not null && (!Enum.TryParse(action.ProxyProtocol, ignoreCase: true, out header) || !Enum.IsDefined(header)))
        {
            errors.Add(new ConfigError(routeId, "Action.ProxyProtocol", $"'{action.ProxyProtocol}' is not one of None, V1, V2."));
        }

        var maxFailures = action.PassiveHealth?.MaxFailures ?? 3;
        var coolDown = action.PassiveHealth?.CoolDown ?? TimeSpan.FromSeconds(10);
        if (maxFailures <= 0)
        {
            errors.Add(new ConfigError(routeId, "Action.PassiveHealth.MaxFailures", "Must be greater than zero."));
        }

        if (coolDown <= TimeSpan.Zero)
        {
            errors.Add(new ConfigError(routeId, "Action.PassiveHealth.CoolDown", "Must be a positive time span such as 00:00:10."));
        }

        if (action.Handler is not null)
        {
            errors.Add(new ConfigError(routeId, "Action.Handler", "Handler is only used by a Handler action."));
        }

        return errors.Count > before ? null : new ForwardAction(new TargetPool(targets, policy, maxFailures, coolDown), header, logger);
    }

    /// <summary>Parses <c>host:port</c>, <c>1.2.3.4:port</c> or <c>[::1]:port</c>.</summary>
    public static bool TryParseTarget(string? text, out string host, out int port)
    {
        host = string.Empty;
        port = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !PortRange.TryParsePort(text.AsSpan(colon + 1), out port))
        {
            return false;
        }

        var hostPart = text[..colon];
        if (hostPart.StartsWith('['))
        {
            if (!hostPart.EndsWith(']') || !IpAddressText.TryParse(hostPart.AsSpan(1, hostPart.Length - 2), out var v6)
                || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                return false;
            }

            host = v6.ToString();
            return true;
        }

        if (hostPart.Contains(':', StringComparison.Ordinal))
        {
            return false; // An IPv6 address must be bracketed, or its last group reads as the port.
        }

        host = hostPart;
        // A name made only of digits and dots must be a strict dotted quad, not an inet_aton form or a DNS name.
        return hostPart.AsSpan().ContainsAnyExcept(DigitsAndDots)
            ? DomainPattern.TryParse(hostPart, out var name) && name.Score == DomainPattern.ExactScore
            : IpAddressText.TryParse(hostPart, out _);
    }
}
