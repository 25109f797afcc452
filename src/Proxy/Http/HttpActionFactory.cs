using System.Globalization;
using Proxy.Configuration;
using Proxy.Routing;
using Proxy.Tls;
using Yarp.ReverseProxy.Configuration;
using YarpRoute = Yarp.ReverseProxy.Configuration.RouteConfig;

namespace Proxy.Http;

/// <summary>Builds the <c>Http</c> and <c>Redirect</c> actions and their YARP route and cluster.</summary>
internal sealed class HttpActionFactory : IRouteActionFactory
{
    private static readonly Dictionary<string, string> LoadBalancing = new(StringComparer.OrdinalIgnoreCase)
    {
        ["RoundRobin"] = "RoundRobin",
        ["LeastRequests"] = "LeastRequests",
        ["LeastConnections"] = "LeastRequests",
        ["Random"] = "Random",
        ["PowerOfTwoChoices"] = "PowerOfTwoChoices",
        ["FirstAlphabetical"] = "FirstAlphabetical",
    };

    private static readonly string[] AffinityPolicies = ["Cookie", "ArrCookie", "CustomHeader"];

    public IReadOnlyCollection<string> Types { get; } = ["Http", "Redirect"];

    public IRouteAction? Create(RouteActionContext context)
    {
        var before = context.Errors.Count;
        var action = context.Action;
        var certificate = Certificate(context);
        var route = Route(context);
        var redirect = string.Equals(action.Type, "Redirect", StringComparison.OrdinalIgnoreCase);
        ClusterConfig? cluster = null;
        if (redirect)
        {
            route = Redirect(context, route);
        }
        else
        {
            cluster = Cluster(context);
            route = route with { ClusterId = context.RouteId };
        }

        if (context.Errors.Count > before)
        {
            return null;
        }

        var match = context.Route.Match!;
        var key = $"{match.Path ?? "/"}|{string.Join(',', match.Methods.Select(m => m.ToUpperInvariant()).Order(StringComparer.Ordinal))}|{match.Headers.Count}";
        return new HttpRouteAction(route, cluster, certificate, key);
    }

    internal static YarpRoute Route(RouteActionContext context)
    {
        var match = context.Route.Match!;
        var hosts = new List<string>();
        foreach (var domain in match.Domains)
        {
            if (domain != "*")
            {
                hosts.Add(domain.ToLowerInvariant());
            }
        }

        var headers = new List<RouteHeader>();
        for (var i = 0; i < match.Headers.Count; i++)
        {
            var header = match.Headers[i];
            var mode = HeaderMatchMode.ExactHeader;
            if (header.Mode is not null && !Enum.TryParse(header.Mode, ignoreCase: true, out mode))
            {
                context.Error($"Match.Headers[{i}].Mode", $"'{header.Mode}' is not one of {string.Join(", ", Enum.GetNames<HeaderMatchMode>())}.");
            }

            headers.Add(new RouteHeader { Name = header.Name ?? string.Empty, Values = header.Values, Mode = mode, IsCaseSensitive = header.IsCaseSensitive });
        }

        return new YarpRoute
        {
            RouteId = context.RouteId,
            // YARP orders ascending; a higher Priority must come first.
            Order = -(context.Route.Priority ?? 0),
            Match = new RouteMatch
            {
                Hosts = hosts.Count == 0 ? null : hosts,
                Path = match.Path ?? "/{**catch-all}",
                Methods = match.Methods.Count == 0 ? null : match.Methods,
                Headers = headers.Count == 0 ? null : headers,
            },
            Transforms = context.Action.Transforms.Count == 0 ? null : context.Action.Transforms,
        };
    }

    internal static ServerCertificate? Certificate(RouteActionContext context)
    {
        if (context.Action.Tls is not { } tls)
        {
            return null;
        }

        if (!string.Equals(tls.Mode, "Terminate", StringComparison.OrdinalIgnoreCase))
        {
            context.Error("Action.Tls.Mode", $"'{tls.Mode}' is not supported; use Terminate (for passthrough, use a Forward route with Domains).");
            return null;
        }

        if (string.IsNullOrWhiteSpace(tls.Certificate) || !context.Certificates.TryGetValue(tls.Certificate, out var certificate))
        {
            context.Error("Action.Tls.Certificate", $"No certificate named '{tls.Certificate}' is configured (or it failed to load) under Proxy:Certificates.");
            return null;
        }

        return certificate;
    }

    private static ClusterConfig? Cluster(RouteActionContext context)
    {
        var action = context.Action;
        if (action.Targets.Count == 0)
        {
            context.Error("Action.Targets", "An Http action needs at least one http:// or https:// target.");
        }

        var destinations = new Dictionary<string, DestinationConfig>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < action.Targets.Count; i++)
        {
            if (Uri.TryCreate(action.Targets[i], UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
                && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.UserInfo))
            {
                destinations["d" + i.ToString(CultureInfo.InvariantCulture)] = new DestinationConfig { Address = action.Targets[i] };
            }
            else
            {
                context.Error($"Action.Targets[{i}]", $"'{action.Targets[i]}' is not an http:// or https:// URL.");
            }
        }

        string? policy = null;
        if (action.LoadBalancing is not null && !LoadBalancing.TryGetValue(action.LoadBalancing, out policy))
        {
            context.Error("Action.LoadBalancing", $"'{action.LoadBalancing}' is not one of {string.Join(", ", LoadBalancing.Keys)}.");
        }

        if (action.Timeout is { } timeout && timeout <= TimeSpan.Zero)
        {
            context.Error("Action.Timeout", "Must be a positive time span such as 00:01:40.");
        }

        return new ClusterConfig
        {
            ClusterId = context.RouteId,
            Destinations = destinations,
            LoadBalancingPolicy = policy,
            HealthCheck = HealthCheck(context),
            SessionAffinity = Affinity(context),
            HttpRequest = action.Timeout is null ? null : new Yarp.ReverseProxy.Forwarder.ForwarderRequestConfig { ActivityTimeout = action.Timeout },
            HttpClient = new HttpClientConfig { DangerousAcceptAnyServerCertificate = action.DangerousAcceptAnyServerCertificate },
            Metadata = new Dictionary<string, string>
            {
                [HttpMetadata.ConnectTimeout] = ((long)context.Limits.ConnectTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
            },
        };
    }

    private static HealthCheckConfig? HealthCheck(RouteActionContext context)
    {
        if (context.Action.HealthCheck is not { } health)
        {
            return null;
        }

        foreach (var (field, message) in health.Active?.SpanErrors() ?? [])
        {
            context.Error(field, message);
        }

        return new HealthCheckConfig
        {
            // YARP's default, HealthyOrPanic, sends traffic to every target when none is healthy (dotnet/yarp#2171);
            // a proxy user expects 503 then, as HAProxy and Envoy without panic mode answer.
            AvailableDestinationsPolicy = "HealthyAndUnknown",
            Active = health.Active is not { } active ? null : new ActiveHealthCheckConfig
            {
                Enabled = true,
                Interval = active.Interval,
                Timeout = active.Timeout,
                Path = active.Path,
                Policy = "ConsecutiveFailures",
            },
            Passive = health.Passive is not { } passive ? null : new PassiveHealthCheckConfig
            {
                Enabled = true,
                Policy = "TransportFailureRate",
                ReactivationPeriod = passive.ReactivationPeriod,
            },
        };
    }

    private static SessionAffinityConfig? Affinity(RouteActionContext context)
    {
        if (context.Action.SessionAffinity is not { } affinity)
        {
            return null;
        }

        var policy = affinity.Policy ?? "Cookie";
        if (string.Equals(policy, "HashCookie", StringComparison.OrdinalIgnoreCase))
        {
            context.Error("Action.SessionAffinity.Policy",
                "HashCookie is not available in this build (its dependency System.IO.Hashing is missing); use Cookie, ArrCookie or CustomHeader.");
        }
        else if (Array.FindIndex(AffinityPolicies, p => string.Equals(p, policy, StringComparison.OrdinalIgnoreCase)) < 0)
        {
            context.Error("Action.SessionAffinity.Policy", $"'{policy}' is not one of {string.Join(", ", AffinityPolicies)}.");
        }

        return new SessionAffinityConfig
        {
            Enabled = true,
            Policy = policy,
            AffinityKeyName = affinity.AffinityKeyName ?? ".Proxy.Affinity",
        };
    }

    private static YarpRoute Redirect(RouteActionContext context, YarpRoute route)
    {
        var action = context.Action;
        if (string.IsNullOrWhiteSpace(action.To))
        {
            context.Error("Action.To", "A Redirect action needs a To, e.g. https://{host}{path}.");
        }

        var status = action.Status ?? 302;
        if (status is not (301 or 302 or 307 or 308))
        {
            context.Error("Action.Status", $"{status} is not a redirect status (301, 302, 307, 308).");
        }

        if (action.Targets.Count > 0)
        {
            context.Error("Action.Targets", "A Redirect action has no targets.");
        }

        return route with
        {
            Metadata = new Dictionary<string, string>
            {
                [HttpMetadata.RedirectTo] = action.To ?? string.Empty,
                [HttpMetadata.RedirectStatus] = status.ToString(CultureInfo.InvariantCulture),
            },
        };
    }
}
