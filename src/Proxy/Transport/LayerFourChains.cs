using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Connections;

namespace Proxy.Transport;

/// <summary>The connection chain of each route endpoint, as its listener runs it on the connections it accepts for
/// layer-4 routes (<see cref="RouteSocketListener"/>). Kestrel builds an endpoint's middleware before it binds it, so
/// the chain is here by the time the transport binds the same endpoint object.</summary>
internal sealed class LayerFourChains
{
    private readonly ConcurrentDictionary<EndPoint, ConnectionDelegate> _chains = new(ReferenceEqualityComparer.Instance);

    public void Register(EndPoint endpoint, ConnectionDelegate chain) => _chains[endpoint] = chain;

    /// <summary>The chain registered for this endpoint object (as configured, before a port 0 is bound), if any: the
    /// admin API's endpoints have none.</summary>
    public ConnectionDelegate? For(EndPoint endpoint) => _chains.GetValueOrDefault(endpoint);

    /// <summary>When the endpoint's listener is disposed (its port removed or the server stopped).</summary>
    public void Remove(EndPoint endpoint) => _chains.TryRemove(endpoint, out _);
}
