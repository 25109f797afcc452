using System.Collections.Frozen;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Proxy.Configuration;
using Proxy.Routing;

namespace Proxy.Listeners;

/// <summary>Keeps Kestrel's listening ports equal to the ports the routes name: publishes them as Kestrel endpoints,
/// checks new ports can be bound before a change is applied, and waits until Kestrel has (un)bound them.</summary>
internal sealed class PortBindings(IServiceProvider services, IHostApplicationLifetime lifetime)
{
    private static readonly TimeSpan BindWait = TimeSpan.FromSeconds(15);

    private readonly ListenerEndpointsProvider _endpoints = new();
    private volatile FrozenDictionary<int, PublishedPort> _published = FrozenDictionary<int, PublishedPort>.Empty;
    private IConfigurationRoot? _kestrelConfiguration;
    private IReadOnlyList<Uri> _adminUrls = [];

    /// <summary>The configuration Kestrel's endpoint loader reads (only the endpoints this class publishes).</summary>
    public IConfiguration KestrelConfiguration => _kestrelConfiguration ??= new ConfigurationBuilder().Add(_endpoints).Build();

    /// <summary>Whether a Kestrel endpoint on this port is a route port (so it gets the connection chain).</summary>
    public bool IsRoutePort(int port) => _published.ContainsKey(port);

    /// <summary>Whether the port's HTTP routes terminate TLS (Kestrel's HTTPS middleware follows the chain).</summary>
    public bool IsTlsPort(int port) => _published.TryGetValue(port, out var published) && published.Tls;

    /// <summary>The admin API's listen URLs, published with the route ports (set once, before the first publish).</summary>
    public void SetAdminUrls(IReadOnlyList<Uri> urls) => _adminUrls = urls;

    /// <summary>Errors for route ports that are the admin API's.</summary>
    public IReadOnlyList<ConfigError> CheckAdminClash(ProxySnapshot next)
    {
        var errors = new List<ConfigError>();
        foreach (var url in _adminUrls)
        {
            if (next.Ports.TryGetValue(url.Port, out var routes))
            {
                errors.Add(new ConfigError(routes.Routes[0].Id, "Match.Ports", $"Port {url.Port} is the admin API's (Proxy:Admin:Urls)."));
            }
        }

        return errors;
    }

    /// <summary>Errors for every port the snapshot adds that another socket already holds.</summary>
    public IReadOnlyList<ConfigError> CheckAvailable(ProxySnapshot next)
    {
        var errors = new List<ConfigError>(CheckAdminClash(next));
        foreach (var (port, routes) in next.Ports)
        {
            var endpoint = new IPEndPoint(routes.BindAddress, port);
            if (_published.TryGetValue(port, out var current) && current.EndPoint.Equals(endpoint))
            {
                continue;
            }

            try
            {
                using var probe = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                probe.Bind(endpoint);
            }
            catch (SocketException ex)
            {
                errors.Add(new ConfigError(routes.Routes[0].Id, "Match.Ports",
                    $"Port {port} cannot be bound on {routes.BindAddress}: {ex.SocketErrorCode} (is another process using it?)."));
            }
        }

        return errors;
    }

    /// <summary>Publishes the snapshot's ports to Kestrel and, once the server runs, waits until they are bound.
    /// Returns the ports that did not come up.</summary>
    public async Task<IReadOnlyList<int>> PublishAsync(ProxySnapshot snapshot, CancellationToken cancellationToken)
    {
        var endpoints = new Dictionary<int, PublishedPort>(snapshot.Ports.Count);
        var urls = new Dictionary<string, string>(snapshot.Ports.Count);
        foreach (var (port, routes) in snapshot.Ports)
        {
            var published = new PublishedPort(new IPEndPoint(routes.BindAddress, port), routes.TerminatesTls);
            endpoints[port] = published;
            // The name changes with TLS so Kestrel rebuilds the endpoint's middleware when a port starts or stops terminating.
            var name = "port-" + port.ToString(CultureInfo.InvariantCulture) + (published.Tls ? "-tls" : string.Empty);
            urls[name] = "http://" + published.EndPoint;
        }

        var removed = new List<int>();
        foreach (var port in _published.Keys)
        {
            if (!endpoints.ContainsKey(port))
            {
                removed.Add(port);
            }
        }

        for (var i = 0; i < _adminUrls.Count; i++)
        {
            urls["admin-" + i.ToString(CultureInfo.InvariantCulture)] = _adminUrls[i].GetLeftPart(UriPartial.Authority);
        }

        _published = endpoints.ToFrozenDictionary();
        _endpoints.SetEndpoints(urls);

        // Before the server has started, Kestrel binds these itself at start (and start fails if it cannot). Resolving
        // IServer earlier would also re-enter KestrelServerOptions' setup, which is what publishes the first snapshot.
        if (!lifetime.ApplicationStarted.IsCancellationRequested
            || services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>() is not { } addresses)
        {
            return [];
        }

        return await WaitForBindAsync(addresses, endpoints, removed, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Kestrel rebinds asynchronously and only logs a failure (KestrelServerImpl.RebindAsync), so the outcome is
    /// read back from the server's address list: every expected port present, every removed one gone (removal waits
    /// for Kestrel to drain the endpoint's connections, at most a few seconds).</summary>
    private static async Task<IReadOnlyList<int>> WaitForBindAsync(
        IServerAddressesFeature addresses, Dictionary<int, PublishedPort> expected, List<int> removed, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + BindWait;
        while (true)
        {
            var missing = new List<int>();
            var bound = BoundPorts(addresses);
            foreach (var port in expected.Keys)
            {
                if (!bound.Contains(port))
                {
                    missing.Add(port);
                }
            }

            if ((missing.Count == 0 && !removed.Exists(bound.Contains)) || DateTime.UtcNow > deadline)
            {
                return missing;
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    public static HashSet<int> BoundPorts(IServerAddressesFeature addresses)
    {
        var ports = new HashSet<int>();
        foreach (var address in addresses.Addresses.ToArray())
        {
            if (Uri.TryCreate(address, UriKind.Absolute, out var uri))
            {
                ports.Add(uri.Port);
            }
        }

        return ports;
    }
}

/// <summary>A port as published to Kestrel.</summary>
internal sealed record PublishedPort(IPEndPoint EndPoint, bool Tls);
