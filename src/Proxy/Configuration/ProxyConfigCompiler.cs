using System.Collections.Frozen;
using System.Net;
using Microsoft.Extensions.Hosting;
using Proxy.Destinations;
using Proxy.Forwarding;
using Proxy.Http;
using Proxy.Metrics;
using Proxy.ProxyProtocol;
using Proxy.Relay;
using Proxy.Routing;
using Proxy.Tls;
using Proxy.Udp;

namespace Proxy.Configuration;

/// <summary>Validates a whole <see cref="ProxyOptions"/> and compiles it into a <see cref="ProxySnapshot"/>,
/// collecting every error (route id, field, reason) rather than stopping at the first.</summary>
internal sealed class ProxyConfigCompiler
{
    /// <summary>A typo in a range must not bind tens of thousands of sockets.</summary>
    public const int MaxPortsPerRange = 1024;

    private readonly FrozenDictionary<string, IRouteActionFactory> _factories;
    private readonly string _knownTypes;

    private readonly ProxyMetrics _metrics;
    private readonly string _contentRoot;

    public ProxyConfigCompiler(IEnumerable<IRouteActionFactory> factories, ProxyMetrics metrics)
        : this(factories, metrics, null)
    {
    }

    /// <param name="factories">One factory per action type.</param>
    /// <param name="metrics">Where each route's counters live.</param>
    /// <param name="environment">Certificate paths are relative to its content root.</param>
    public ProxyConfigCompiler(IEnumerable<IRouteActionFactory> factories, ProxyMetrics metrics, IHostEnvironment? environment)
    {
        _metrics = metrics;
        _contentRoot = environment?.ContentRootPath ?? Directory.GetCurrentDirectory();
        var byType = new Dictionary<string, IRouteActionFactory>(StringComparer.OrdinalIgnoreCase);
        foreach (var factory in factories)
        {
            foreach (var type in factory.Types)
            {
                byType[type] = factory;
            }
        }

        _factories = byType.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        _knownTypes = string.Join(", ", byType.Keys.Order(StringComparer.Ordinal));
    }

    /// <summary>The certificate and key files <paramref name="options"/> loads, as full paths.</summary>
    public IReadOnlyCollection<string> CertificateFiles(ProxyOptions options) => CertificateLoader.Files(options.Certificates, _contentRoot);

    /// <summary>Tells the factories and the metrics that <paramref name="snapshot"/> is now in force (see
    /// <see cref="IRouteActionFactory.Applied"/>).</summary>
    public void Applied(ProxySnapshot snapshot)
    {
        foreach (var factory in _factories.Values.Distinct())
        {
            factory.Applied(snapshot);
        }

        _metrics.Applied(snapshot);
    }

    public ProxySnapshot? Compile(ProxyOptions options, long version, out IReadOnlyList<ConfigError> errors)
    {
        var list = new List<ConfigError>();
        var globalAcl = ConfigSections.CompileAcl(null, "Acl", options.Acl, list);
        var limits = ConfigSections.CompileLimits(null, "Limits", options.Limits, EffectiveLimits.Defaults, list);
        var defaultBind = ConfigSections.ParseBindAddress(null, "BindAddress", options.BindAddress, IPAddress.Any, list);
        var defaultProxyProtocol = ConfigSections.CompileProxyProtocol("ProxyProtocol", options.ProxyProtocol, ProxyProtocolSettings.Off, list);
        var certificates = CertificateLoader.LoadAll(options.Certificates, _contentRoot, list);
        var users = UserDirectory.Compile(options.Users, list);
        var keepAlive = RelayPools.KeepAlive(options.Relay, list);
        var relayPools = RelayPools.Compile(options.Relay, keepAlive, list);
        var dnsRefresh = options.DnsRefresh ?? TargetAddresses.DefaultRefresh;
        if (dnsRefresh <= TimeSpan.Zero)
        {
            list.Add(new ConfigError(null, "DnsRefresh", "Must be a positive time span such as 00:00:30."));
        }

        var routes = new List<Route>(options.Routes.Count);
        var ids = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.Routes.Count; i++)
        {
            var route = CompileRoute(options.Routes[i], i, limits, new SharedParts(certificates, users, relayPools, keepAlive, dnsRefresh), ids, list);
            if (route is not null)
            {
                routes.Add(route);
            }
        }

        var ports = BuildPorts(options, routes, defaultBind, defaultProxyProtocol, list);
        var udpPorts = UdpRouteRules.BuildPorts(options, routes, defaultBind, list);
        RouteConflicts.Find(ports.Values, list);

        errors = list;
        if (list.Count > 0)
        {
            return null;
        }

        var (httpRoutes, httpClusters) = HttpRouteTable.Build(routes, version);
        return new ProxySnapshot
        {
            Version = version,
            Routes = routes,
            Ports = ports.ToFrozenDictionary(),
            Acl = globalAcl,
            Limits = limits,
            HttpRoutes = httpRoutes,
            HttpClusters = httpClusters,
            UdpPorts = udpPorts.ToFrozenDictionary(),
            Splice = options.Splice ?? true,
        };
    }

    private Route? CompileRoute(
        RouteConfig config, int index, EffectiveLimits globalLimits, SharedParts shared, HashSet<string> ids, List<ConfigError> errors)
    {
        var id = config.Id;
        var errorCount = errors.Count;
        if (string.IsNullOrWhiteSpace(id))
        {
            id = $"#{index}";
            errors.Add(new ConfigError(id, "Id", "A route needs an id."));
        }
        else if (!IsValidId(id))
        {
            errors.Add(new ConfigError(id, "Id", "An id may contain only letters, digits, '.', '_' and '-' (at most 100)."));
        }
        else if (!ids.Add(id))
        {
            errors.Add(new ConfigError(id, "Id", "Another route has the same id."));
        }

        var match = config.Match;
        if (match is null)
        {
            errors.Add(new ConfigError(id, "Match", "A route needs a Match section."));
            match = new RouteMatchConfig();
        }

        var ports = CompilePorts(id, match.Ports, errors);
        var domains = CompileDomains(id, match.Domains, errors);
        var alpn = CompileAlpn(id, match.Alpn, errors);
        var clientIps = ConfigSections.CompileNetworks(id, "Match.ClientIps", match.ClientIps, errors);
        var udp = string.Equals(match.Transport, "Udp", StringComparison.OrdinalIgnoreCase);
        if (match.Transport is not null && !udp && !string.Equals(match.Transport, "Tcp", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add(new ConfigError(id, "Match.Transport", $"'{match.Transport}' is not a transport; use Tcp (default) or Udp."));
        }

        var acl = config.Acl is null ? null : ConfigSections.CompileAcl(id, "Acl", config.Acl, errors);
        var limits = ConfigSections.CompileLimits(id, "Limits", config.Limits, globalLimits with { MaxConnections = null, MaxConnectionsPerIp = null }, errors);

        IRouteAction? action = null;
        if (config.Action is null)
        {
            errors.Add(new ConfigError(id, "Action", "A route needs an Action section."));
        }
        else if (string.IsNullOrWhiteSpace(config.Action.Type))
        {
            errors.Add(new ConfigError(id, "Action.Type", $"An action needs a Type ({_knownTypes})."));
        }
        else if (!_factories.TryGetValue(config.Action.Type, out var factory))
        {
            errors.Add(new ConfigError(id, "Action.Type", $"'{config.Action.Type}' is not an action type ({_knownTypes})."));
        }
        else
        {
            action = factory.Create(new RouteActionContext
            {
                RouteId = id,
                Route = config,
                Limits = limits,
                Certificates = shared.Certificates,
                Users = shared.Users,
                RelayPools = shared.RelayPools,
                RelayKeepAlive = shared.KeepAlive,
                DnsRefresh = shared.DnsRefresh,
                Errors = errors,
            });
        }

        if (action is not null and not IHttpRouteAction && (match.Path is not null || match.Methods.Count > 0 || match.Headers.Count > 0))
        {
            errors.Add(new ConfigError(id, "Match.Path", "Path, Methods and Headers apply to Http and Redirect routes only."));
        }

        if (action is IHttpRouteAction && alpn.Length > 0)
        {
            errors.Add(new ConfigError(id, "Match.Alpn", "Alpn matches layer-4 routes only; for HTTP routes TLS termination negotiates h2 or http/1.1."));
        }

        if (udp)
        {
            UdpRouteRules.Check(id, config, action, errors);
        }

        if (errors.Count > errorCount || action is null)
        {
            return null;
        }

        return new Route
        {
            Id = id,
            Priority = config.Priority ?? 0,
            Transport = udp ? RouteTransport.Udp : RouteTransport.Tcp,
            Ports = ports,
            // A plain HTTP route matches the Host header inside the HTTP pipeline, not the connection's SNI.
            Domains = action is IHttpRouteAction { Certificate: null } ? [] : domains,
            Alpn = alpn,
            ClientIps = clientIps,
            Acl = acl,
            Limits = limits,
            Action = action,
            Stats = _metrics.Route(id),
            Config = config,
        };
    }

    private static Dictionary<int, PortRoutes> BuildPorts(
        ProxyOptions options, List<Route> routes, IPAddress defaultBind, ProxyProtocolSettings defaultProxyProtocol, List<ConfigError> errors)
    {
        var byPort = new SortedDictionary<int, List<Route>>();
        foreach (var route in routes)
        {
            if (route.Transport == RouteTransport.Udp)
            {
                continue;
            }

            foreach (var range in route.Ports)
            {
                for (var port = range.First; port <= range.Last; port++)
                {
                    if (!byPort.TryGetValue(port, out var onPort))
                    {
                        byPort[port] = onPort = [];
                    }

                    if (!onPort.Contains(route))
                    {
                        onPort.Add(route);
                    }
                }
            }
        }

        // Every Ports entry is checked, including ports with no route yet: a typo must not wait for an unrelated change.
        var portSettings = new Dictionary<int, (IPAddress BindAddress, ProxyProtocolSettings ProxyProtocol)>();
        foreach (var (key, value) in options.Ports)
        {
            var field = $"Ports:{key}";
            if (!PortRange.TryParsePort(key, out var port))
            {
                errors.Add(new ConfigError(null, field, "The key must be a port number (1-65535)."));
                continue;
            }

            portSettings[port] = (
                ConfigSections.ParseBindAddress(null, field + ":BindAddress", value.BindAddress, defaultBind, errors),
                ConfigSections.CompileProxyProtocol(field + ":ProxyProtocol", value.ProxyProtocol, defaultProxyProtocol, errors));
        }

        var result = new Dictionary<int, PortRoutes>(byPort.Count);
        foreach (var (port, onPort) in byPort)
        {
            (IPAddress BindAddress, ProxyProtocolSettings ProxyProtocol) settings =
                portSettings.TryGetValue(port, out var configured) ? configured : (defaultBind, defaultProxyProtocol);
            onPort.Sort(static (a, b) => b.Priority.CompareTo(a.Priority));
            var peekTimeout = TimeSpan.Zero;
            var peekMaxBytes = 0;
            var needsServerName = false;
            var (terminated, plainHttp) = (0, 0);
            foreach (var route in onPort)
            {
                if (route.Action is IHttpRouteAction http)
                {
                    _ = http.Certificate is null ? plainHttp++ : terminated++;
                }

                peekTimeout = route.Limits.PeekTimeout > peekTimeout ? route.Limits.PeekTimeout : peekTimeout;
                peekMaxBytes = Math.Max(peekMaxBytes, route.Limits.PeekMaxBytes);
                needsServerName |= route.Domains.Count > 0 || route.Alpn.Count > 0;
            }

            if (terminated > 0 && plainHttp > 0)
            {
                errors.Add(new ConfigError(onPort[0].Id, "Action.Tls",
                    $"Port {port} mixes HTTP routes that terminate TLS with plain HTTP routes; a port speaks one or the other."));
            }

            result[port] = new PortRoutes
            {
                TerminatesTls = terminated > 0,
                ServesHttp = terminated + plainHttp > 0,
                Port = port,
                BindAddress = settings.BindAddress,
                Routes = onPort.ToArray(),
                NeedsServerName = needsServerName,
                ProxyProtocol = settings.ProxyProtocol,
                PeekTimeout = peekTimeout,
                PeekMaxBytes = peekMaxBytes,
            };
        }

        return result;
    }

    private static PortRange[] CompilePorts(string id, IReadOnlyList<string> ports, List<ConfigError> errors)
    {
        if (ports.Count == 0)
        {
            errors.Add(new ConfigError(id, "Match.Ports", "A route needs at least one port."));
        }

        var result = new PortRange[ports.Count];
        for (var i = 0; i < ports.Count; i++)
        {
            if (!PortRange.TryParse(ports[i], out result[i]))
            {
                errors.Add(new ConfigError(id, $"Match.Ports[{i}]", $"'{ports[i]}' is not a port (1-65535) or a range such as 9000-9010."));
            }
            else if (result[i].Count > MaxPortsPerRange)
            {
                errors.Add(new ConfigError(id, $"Match.Ports[{i}]", $"The range '{ports[i]}' spans more than {MaxPortsPerRange} ports."));
            }
        }

        return result;
    }

    /// <summary>ALPN protocol names as the ClientHello carries them: 1-255 bytes (RFC 7301 §3.1), compared exactly;
    /// printable ASCII here, as every registered name is.</summary>
    private static string[] CompileAlpn(string id, IReadOnlyList<string> protocols, List<ConfigError> errors)
    {
        var result = new string[protocols.Count];
        for (var i = 0; i < protocols.Count; i++)
        {
            var name = protocols[i] ?? string.Empty;
            if (name.Length is 0 or > 255 || !name.All(c => c is > ' ' and < (char)0x7F))
            {
                errors.Add(new ConfigError(id, $"Match.Alpn[{i}]", $"'{name}' is not an ALPN protocol name (1-255 printable ASCII characters, e.g. h2, acme-tls/1)."));
            }

            result[i] = name;
        }

        return result;
    }

    private static DomainPattern[] CompileDomains(string id, IReadOnlyList<string> domains, List<ConfigError> errors)
    {
        var result = new DomainPattern[domains.Count];
        for (var i = 0; i < domains.Count; i++)
        {
            if (!DomainPattern.TryParse(domains[i], out result[i]))
            {
                errors.Add(new ConfigError(id, $"Match.Domains[{i}]", $"'{domains[i]}' is not a host name, '*.' wildcard or '*'."));
            }
        }

        return result;
    }

    private static bool IsValidId(string id)
    {
        if (id.Length > 100)
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>What every route's action may refer to: certificates, users and relay pools.</summary>
    private sealed record SharedParts(
        IReadOnlyDictionary<string, ServerCertificate> Certificates, UserDirectory Users, IReadOnlyDictionary<string, IEgress> RelayPools,
        (TimeSpan Interval, TimeSpan Timeout) KeepAlive, TimeSpan DnsRefresh);
}
