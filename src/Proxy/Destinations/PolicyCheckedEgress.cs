using Proxy.Networking;

namespace Proxy.Destinations;

/// <summary>An ingress route's own destination policy in front of a relay pool: the ingress refuses what it does not
/// allow before asking an egress (which applies its own policy, and checks the addresses it resolves).</summary>
internal sealed class PolicyCheckedEgress(DestinationPolicy policy, IEgress inner) : IEgress
{
    public Task<(EgressTunnel? Tunnel, DialOutcome Outcome)> OpenAsync(string host, int port, CancellationToken cancellationToken)
    {
        var allowed = IpAddressText.TryParse(host, out var address)
            ? policy.AllowsAddress(address, port, nameAllowed: false)
            : policy.AllowsName(host, port);
        return allowed
            ? inner.OpenAsync(host, port, cancellationToken)
            : Task.FromResult<(EgressTunnel?, DialOutcome)>((null, DialOutcome.Forbidden));
    }
}
