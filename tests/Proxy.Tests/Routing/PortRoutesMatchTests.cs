using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Proxy.Configuration;
using Proxy.Forwarding;
using Proxy.Handlers;
using Proxy.Metrics;
using Proxy.Routing;

namespace Proxy.Tests.Routing;

public sealed class PortRoutesMatchTests
{
    private const int Port = 443;
    private static readonly IPAddress Client = IPAddress.Parse("192.0.2.10");

    [Fact]
    public void Exact_domain_beats_wildcard_whatever_the_order_of_the_routes()
    {
        var wildcardFirst = Snapshot(Route("web", domains: ["*.example.com"]), Route("db", domains: ["db.example.com"]));
        var exactFirst = Snapshot(Route("db", domains: ["db.example.com"]), Route("web", domains: ["*.example.com"]));

        foreach (var snapshot in new[] { wildcardFirst, exactFirst })
        {
            Assert.Equal("db", Match(snapshot, "db.example.com"));
            Assert.Equal("web", Match(snapshot, "www.example.com"));
        }
    }

    [Fact]
    public void Wildcard_beats_star()
    {
        var snapshot = Snapshot(Route("any", domains: ["*"]), Route("web", domains: ["*.example.com"]));

        Assert.Equal("web", Match(snapshot, "www.example.com"));
        Assert.Equal("any", Match(snapshot, "www.example.org"));
    }

    [Theory]
    [InlineData("a.example.com", true)]
    [InlineData("db-1.example.com", true)]
    [InlineData("a.b.example.com", false)]
    [InlineData("example.com", false)]
    [InlineData(".example.com", false)]
    [InlineData("aexample.com", false)]
    [InlineData("a.example.com.evil.test", false)]
    [InlineData("a.example.org", false)]
    public void Wildcard_matches_exactly_one_label(string serverName, bool matches)
    {
        var snapshot = Snapshot(Route("web", domains: ["*.example.com"]));

        Assert.Equal(matches ? "web" : null, Match(snapshot, serverName));
    }

    [Fact]
    public void Exact_domain_matches_only_that_name()
    {
        var snapshot = Snapshot(Route("db", domains: ["db.example.com"]));

        Assert.Equal("db", Match(snapshot, "db.example.com"));
        Assert.Null(Match(snapshot, "x.db.example.com"));
        Assert.Null(Match(snapshot, "example.com"));
        Assert.Null(Match(snapshot, "db.example.co"));
        Assert.Null(Match(snapshot, null));
    }

    [Fact]
    public void Star_matches_any_server_name_but_not_a_missing_one()
    {
        var snapshot = Snapshot(Route("any", domains: ["*"]));

        Assert.Equal("any", Match(snapshot, "example.com"));
        Assert.Equal("any", Match(snapshot, "a.b.c.example.org"));
        Assert.Equal("any", Match(snapshot, "localhost"));
        Assert.Null(Match(snapshot, null));
    }

    [Fact]
    public void Route_without_domains_catches_connections_without_sni()
    {
        var snapshot = Snapshot(Route("db", domains: ["db.example.com"]), Route("any", domains: ["*"]), Route("plain"));

        Assert.Equal("plain", Match(snapshot, null));
        Assert.Equal("db", Match(snapshot, "db.example.com"));
        Assert.Equal("any", Match(snapshot, "other.example.com"));
    }

    [Fact]
    public void Route_without_domains_is_the_fallback_for_names_no_domain_route_matches()
    {
        var snapshot = Snapshot(Route("db", domains: ["db.example.com"]), Route("plain"));

        Assert.Equal("db", Match(snapshot, "db.example.com"));
        Assert.Equal("plain", Match(snapshot, "unknown.example.com"));
    }

    [Fact]
    public void Higher_priority_wins_even_over_a_more_specific_domain()
    {
        var snapshot = Snapshot(
            Route("db", domains: ["db.example.com"]),
            Route("web", priority: 10, domains: ["*.example.com"]));

        Assert.Equal("web", Match(snapshot, "db.example.com"));
    }

    [Fact]
    public void Higher_priority_route_without_domains_wins_over_any_domain_route()
    {
        var snapshot = Snapshot(Route("db", domains: ["db.example.com"]), Route("maintenance", priority: 1));

        Assert.Equal("maintenance", Match(snapshot, "db.example.com"));
        Assert.Equal("maintenance", Match(snapshot, null));
    }

    [Fact]
    public void Lower_priority_route_is_used_when_no_higher_priority_route_matches()
    {
        var snapshot = Snapshot(
            Route("special", priority: 5, domains: ["special.example.com"], clientIps: ["10.0.0.0/8"]),
            Route("web", domains: ["*.example.com"]),
            Route("fallback", priority: -1));

        Assert.Equal("special", Match(snapshot, "special.example.com", "10.1.2.3"));
        Assert.Equal("web", Match(snapshot, "special.example.com", "192.0.2.1"));
        Assert.Equal("web", Match(snapshot, "www.example.com", "10.1.2.3"));
        Assert.Equal("fallback", Match(snapshot, "www.example.org"));
    }

    [Fact]
    public void Longer_client_prefix_wins()
    {
        var snapshot = Snapshot(
            Route("wide", clientIps: ["10.0.0.0/8"]),
            Route("anyone"),
            Route("host", clientIps: ["10.1.2.3"]),
            Route("narrow", clientIps: ["10.1.0.0/16"]));

        Assert.Equal("host", Match(snapshot, null, "10.1.2.3"));
        Assert.Equal("narrow", Match(snapshot, null, "10.1.9.9"));
        Assert.Equal("wide", Match(snapshot, null, "10.200.0.1"));
        Assert.Equal("anyone", Match(snapshot, null, "192.0.2.1"));
    }

    [Fact]
    public void Ipv4_mapped_ipv6_client_matches_ipv4_networks()
    {
        var snapshot = Snapshot(Route("wide", clientIps: ["10.0.0.0/8"]), Route("narrow", clientIps: ["10.1.0.0/16"]), Route("anyone"));

        Assert.Equal("narrow", Match(snapshot, null, "::ffff:10.1.2.3"));
        Assert.Equal("wide", Match(snapshot, null, "::ffff:10.2.0.1"));
        Assert.Equal("anyone", Match(snapshot, null, "::ffff:192.0.2.1"));
    }

    [Fact]
    public void Ipv4_mapped_network_matches_plain_ipv4_clients()
    {
        var snapshot = Snapshot(Route("mapped", clientIps: ["::ffff:10.0.0.0/104"]));

        Assert.Equal("mapped", Match(snapshot, null, "10.1.2.3"));
        Assert.Equal("mapped", Match(snapshot, null, "::ffff:10.1.2.3"));
        Assert.Null(Match(snapshot, null, "11.0.0.1"));
    }

    [Fact]
    public void Ipv6_client_networks_match_by_longest_prefix()
    {
        var snapshot = Snapshot(Route("doc", clientIps: ["2001:db8::/32"]), Route("lab", clientIps: ["2001:db8:1::/48"]));

        Assert.Equal("lab", Match(snapshot, null, "2001:db8:1::5"));
        Assert.Equal("doc", Match(snapshot, null, "2001:db8:2::5"));
        Assert.Null(Match(snapshot, null, "2001:db9::1"));
    }

    [Fact]
    public void Route_with_client_networks_does_not_match_other_clients()
    {
        var snapshot = Snapshot(Route("internal", clientIps: ["10.0.0.0/8", "fd00::/8"]));

        Assert.Equal("internal", Match(snapshot, null, "10.9.9.9"));
        Assert.Equal("internal", Match(snapshot, null, "fd12::1"));
        Assert.Null(Match(snapshot, null, "192.0.2.1"));
        Assert.Null(Match(snapshot, null, "::ffff:192.0.2.1"));
        Assert.Null(Match(snapshot, null, "2001:db8::1"));
    }

    [Fact]
    public void Domain_specificity_is_decided_before_client_specificity()
    {
        var snapshot = Snapshot(
            Route("exact", domains: ["db.example.com"]),
            Route("wildcard-for-host", domains: ["*.example.com"], clientIps: ["10.1.2.3"]));

        Assert.Equal("exact", Match(snapshot, "db.example.com", "10.1.2.3"));
        Assert.Equal("wildcard-for-host", Match(snapshot, "www.example.com", "10.1.2.3"));
    }

    [Fact]
    public void Client_networks_decide_between_routes_with_the_same_domain()
    {
        var snapshot = Snapshot(
            Route("public", domains: ["db.example.com"]),
            Route("office", domains: ["db.example.com"], clientIps: ["10.0.0.0/8"]));

        Assert.Equal("office", Match(snapshot, "db.example.com", "10.1.2.3"));
        Assert.Equal("public", Match(snapshot, "db.example.com", "192.0.2.1"));
    }

    [Fact]
    public void Configured_domains_match_case_insensitively()
    {
        var snapshot = Snapshot(Route("db", domains: ["DB.Example.COM"]), Route("web", domains: ["*.EXAMPLE.com"]));

        // The ClientHello parser lower-cases the SNI, so the configured side is what must be normalized.
        Assert.Equal("db", Match(snapshot, "db.example.com"));
        Assert.Equal("web", Match(snapshot, "www.example.com"));
    }

    [Fact]
    public void Route_with_several_domains_matches_any_of_them()
    {
        var snapshot = Snapshot(Route("sites", domains: ["a.example.com", "*.example.org"]), Route("plain"));

        Assert.Equal("sites", Match(snapshot, "a.example.com"));
        Assert.Equal("sites", Match(snapshot, "www.example.org"));
        Assert.Equal("plain", Match(snapshot, "b.example.com"));
    }

    [Fact]
    public void Nothing_matches_when_no_route_accepts_the_connection()
    {
        var snapshot = Snapshot(Route("db", domains: ["db.example.com"], clientIps: ["10.0.0.0/8"]));

        Assert.Null(Match(snapshot, "db.example.com", "192.0.2.1"));
        Assert.Null(Match(snapshot, "www.example.com", "10.1.2.3"));
        Assert.Null(Match(snapshot, null, "10.1.2.3"));
    }

    [Fact]
    public void Each_port_matches_only_its_own_routes()
    {
        var snapshot = Snapshot(Route("tls"), new RouteConfig
        {
            Id = "pg",
            Match = new RouteMatchConfig { Ports = ["5432"] },
            Action = new RouteActionConfig { Type = "Forward", Targets = ["10.0.0.5:5432"] },
        });

        Assert.Equal("tls", snapshot.Ports[Port].Match(null, [], Client)?.Id);
        Assert.Equal("pg", snapshot.Ports[5432].Match(null, [], Client)?.Id);
    }

    [Fact]
    public void A_route_naming_an_alpn_protocol_wins_for_clients_offering_it_and_is_skipped_for_others()
    {
        var snapshot = Snapshot(Route("web", domains: ["*.example.com"]), Route("acme", domains: ["*.example.com"], alpn: ["acme-tls/1"]));

        Assert.Equal("acme", Match(snapshot, "www.example.com", alpn: ["acme-tls/1"]));
        Assert.Equal("acme", Match(snapshot, "www.example.com", alpn: ["h2", "acme-tls/1"]));
        Assert.Equal("web", Match(snapshot, "www.example.com", alpn: ["h2", "http/1.1"]));
        Assert.Equal("web", Match(snapshot, "www.example.com"));
        Assert.Null(Match(Snapshot(Route("acme", alpn: ["acme-tls/1"])), "www.example.com", alpn: ["ACME-TLS/1"]));
    }

    [Fact]
    public void A_more_specific_domain_beats_an_alpn_match_and_an_alpn_match_beats_a_client_network()
    {
        var snapshot = Snapshot(
            Route("exact", domains: ["db.example.com"]),
            Route("alpn", domains: ["*.example.com"], alpn: ["h2"]),
            Route("network", domains: ["*.example.com"], clientIps: ["192.0.2.0/24"]));

        Assert.Equal("exact", Match(snapshot, "db.example.com", alpn: ["h2"]));
        Assert.Equal("alpn", Match(snapshot, "www.example.com", alpn: ["h2"]));
        Assert.Equal("network", Match(snapshot, "www.example.com", alpn: ["http/1.1"]));
    }

    [Fact]
    public void Routes_sharing_an_alpn_protocol_with_the_same_domain_and_clients_are_ambiguous_and_disjoint_ones_are_not()
    {
        Assert.Empty(Errors(Route("h2", domains: ["*"], alpn: ["h2"]), Route("acme", domains: ["*"], alpn: ["acme-tls/1"])));

        var error = Assert.Single(Errors(Route("a", domains: ["*"], alpn: ["h2", "http/1.1"]), Route("b", domains: ["*"], alpn: ["http/1.1"])));
        Assert.Equal(("b", "Match"), (error.RouteId, error.Field));
        Assert.Contains("ALPN 'http/1.1'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("h 2")]
    [InlineData("h2\u00e9")]
    public void An_alpn_entry_that_is_not_a_protocol_name_is_a_validation_error(string name)
    {
        var error = Assert.Single(Errors(Route("bad", alpn: [System.Text.RegularExpressions.Regex.Unescape(name)])));

        Assert.Equal(("bad", "Match.Alpn[0]"), (error.RouteId, error.Field));
    }

    private static RouteConfig Route(string id, int? priority = null, string[]? domains = null, string[]? clientIps = null, string[]? alpn = null) => new()
    {
        Id = id,
        Priority = priority,
        Match = new RouteMatchConfig
        {
            Ports = [Port.ToString(System.Globalization.CultureInfo.InvariantCulture)], Domains = domains ?? [], ClientIps = clientIps ?? [], Alpn = alpn ?? [],
        },
        Action = new RouteActionConfig { Type = "Forward", Targets = ["10.0.0.5:443"] },
    };

    private static ProxySnapshot Snapshot(params RouteConfig[] routes)
    {
        var snapshot = Compile(routes, out var errors);

        Assert.Empty(errors);
        Assert.NotNull(snapshot);
        return snapshot;
    }

    private static IReadOnlyList<ConfigError> Errors(params RouteConfig[] routes)
    {
        Compile(routes, out var errors);
        return errors;
    }

    private static ProxySnapshot? Compile(RouteConfig[] routes, out IReadOnlyList<ConfigError> errors)
        => new ProxyConfigCompiler(
            [new ForwardActionFactory(NullLogger<ForwardAction>.Instance), new HandlerActionFactory([new EchoHandler()]), new BlockAction()],
            new ProxyMetrics()).Compile(new ProxyOptions { Routes = routes }, 1, out errors);

    private static string? Match(ProxySnapshot snapshot, string? serverName, string? client = null, string[]? alpn = null)
        => snapshot.Ports[Port].Match(serverName, alpn ?? [], client is null ? Client : IPAddress.Parse(client))?.Id;
}
