using Proxy.Tests.Infrastructure;
using static Proxy.Tests.Infrastructure.ConnectRoutes;

namespace Proxy.Tests.Relay;

/// <summary>How to set up an ingress (Connect route <see cref="RelayNodes.IngressRoute"/> via the pool) and an egress
/// (Relay route <see cref="RelayNodes.EgressRoute"/>) for one test.</summary>
public sealed record RelaySetup
{
    /// <summary>What the egress may dial.</summary>
    public string[] EgressAllow { get; init; } = [.. Loopback];

    /// <summary>Extra members of the egress route's action (MaxTunnels, Tokens, ...).</summary>
    public Dictionary<string, object>? EgressAction { get; init; }

    /// <summary>Extra members of the egress route (Limits, ...).</summary>
    public Dictionary<string, object>? EgressRoute { get; init; }

    /// <summary>Extra members of the ingress route's action (Destinations, ...).</summary>
    public Dictionary<string, object>? IngressAction { get; init; }

    /// <summary>Extra members of the ingress route (Limits, ...).</summary>
    public Dictionary<string, object>? IngressRoute { get; init; }

    /// <summary>The pool's endpoints, given the egress port; default: just the egress with the right token.</summary>
    public Func<int, object[]>? Endpoints { get; init; }

    public string CoolDown { get; init; } = "00:00:30";

    /// <summary>The egress's port (null: a free one), for tests that put something in front of it.</summary>
    public int? EgressPort { get; init; }

    /// <summary>Relay keepalive on both nodes (null: the defaults).</summary>
    public string? KeepAliveInterval { get; init; }

    public string? KeepAliveTimeout { get; init; }
}

/// <summary>Two real proxies in one test: an egress node with a Relay route and an ingress node whose Connect route
/// goes through a relay pool pointing at it.</summary>
public sealed class RelayNodes : IAsyncDisposable
{
    public const string IngressRoute = "ingress";
    public const string EgressRoute = "relay";

    private bool _egressDisposed;

    private RelayNodes(ProxyTestHost egress, int egressPort, ProxyTestHost ingress, int ingressPort)
    {
        Egress = egress;
        EgressPort = egressPort;
        Ingress = ingress;
        IngressPort = ingressPort;
    }

    public ProxyTestHost Egress { get; }

    public int EgressPort { get; }

    public ProxyTestHost Ingress { get; }

    /// <summary>Where CONNECT clients connect.</summary>
    public int IngressPort { get; }

    public static async Task<RelayNodes> StartAsync(RelaySetup? setup = null)
    {
        setup ??= new RelaySetup();
        var egressPort = setup.EgressPort ?? TestClient.FreePort();
        var ingressPort = TestClient.FreePort();
        var keepAlive = new Dictionary<string, object>();
        if (setup.KeepAliveInterval is not null)
        {
            keepAlive["KeepAliveInterval"] = setup.KeepAliveInterval;
        }

        if (setup.KeepAliveTimeout is not null)
        {
            keepAlive["KeepAliveTimeout"] = setup.KeepAliveTimeout;
        }

        var egress = await ProxyTestHost.StartAsync(Section(
            [RelayRoute(EgressRoute, egressPort, setup.EgressAllow, setup.EgressAction, setup.EgressRoute)],
            keepAlive.Count > 0 ? keepAlive : null,
            users: false));
        try
        {
            var endpoints = setup.Endpoints?.Invoke(egressPort) ?? [Endpoint(egressPort)];
            var ingress = await ProxyTestHost.StartAsync(Section(
                [ConnectRoute(IngressRoute, ingressPort, [.. Loopback], via: Pool, action: setup.IngressAction, route: setup.IngressRoute)],
                RelayPool(endpoints, setup.CoolDown, keepAliveInterval: setup.KeepAliveInterval, keepAliveTimeout: setup.KeepAliveTimeout)));
            return new RelayNodes(egress, egressPort, ingress, ingressPort);
        }
        catch
        {
            await egress.DisposeAsync();
            throw;
        }
    }

    /// <summary>The target the ingress logs for a tunnel to <paramref name="destination"/> through this egress.</summary>
    public string ViaTarget(string destination) => $"{destination} via {RelayUrl(EgressPort)}";

    /// <summary>Stops the egress node now (the test then checks how the ingress copes).</summary>
    public async Task StopEgressAsync()
    {
        _egressDisposed = true;
        await Egress.DisposeAsync();
    }

    /// <summary>The egress's per-tunnel log lines (accepted tunnels and refusals).</summary>
    public IEnumerable<LogEntry> EgressTunnelLines => Egress.Logs.Entries.Where(e => e.Message.StartsWith("Relay tunnel ", StringComparison.Ordinal));

    public async ValueTask DisposeAsync()
    {
        await Ingress.DisposeAsync();
        if (!_egressDisposed)
        {
            await Egress.DisposeAsync();
        }
    }
}
