using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Proxy.Configuration;
using Proxy.Forwarding;
using Proxy.Handlers;
using Proxy.Metrics;
using Proxy.ProxyProtocol;
using Proxy.Routing;

namespace Proxy.Tests.Configuration;

public sealed class ProxyConfigCompilerTests
{
    // ---- Ids -------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Missing_id_is_a_validation_error_named_after_the_route_index(string? id)
    {
        var errors = Errors(Forward("first", "80"), Forward("second", "81") with { Id = id });

        AssertOnly(errors, ("#1", "Id"));
    }

    [Fact]
    public void Duplicate_id_is_a_validation_error_even_when_only_the_case_differs()
    {
        var errors = Errors(Forward("web", "80"), Forward("WEB", "81"));

        AssertOnly(errors, ("WEB", "Id"));
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("web/1")]
    [InlineData("route:1")]
    [InlineData("naïve")]
    [InlineData("emoji-😀")]
    public void Id_with_characters_other_than_letters_digits_dot_underscore_dash_is_a_validation_error(string id)
    {
        var errors = Errors(Forward(id, "80"));

        AssertOnly(errors, (id, "Id"));
    }

    [Fact]
    public void Id_longer_than_100_characters_is_a_validation_error()
    {
        var id = new string('a', 101);

        var errors = Errors(Forward(id, "80"));

        AssertOnly(errors, (id, "Id"));
    }

    [Fact]
    public void Id_of_letters_digits_dot_underscore_and_dash_is_valid()
    {
        var snapshot = Compile(Forward("Web.api_v2-1", "80"), Forward(new string('b', 100), "81"));

        Assert.Equal(["Web.api_v2-1", new string('b', 100)], snapshot.Routes.Select(r => r.Id));
    }

    // ---- Match and Action sections ---------------------------------------------------------------------------

    [Fact]
    public void Missing_match_is_a_validation_error()
    {
        var errors = Errors(Forward("web", "80") with { Match = null });

        Assert.Contains(errors, e => e is { RouteId: "web", Field: "Match" });
        Assert.All(errors, e => Assert.Equal("web", e.RouteId));
    }

    [Fact]
    public void Missing_action_is_a_validation_error()
    {
        var errors = Errors(Forward("web", "80") with { Action = null });

        AssertOnly(errors, ("web", "Action"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Action_without_a_type_is_a_validation_error(string? type)
    {
        var errors = Errors(Forward("web", "80") with { Action = new RouteActionConfig { Type = type } });

        AssertOnly(errors, ("web", "Action.Type"));
    }

    [Fact]
    public void Unknown_action_type_is_a_validation_error_listing_the_known_types()
    {
        var errors = Errors(Forward("web", "80") with { Action = new RouteActionConfig { Type = "Teleport" } });

        var error = AssertOnly(errors, ("web", "Action.Type"));
        Assert.Contains("Teleport", error.Message, StringComparison.Ordinal);
        Assert.Contains("Forward", error.Message, StringComparison.Ordinal);
        Assert.Contains("Handler", error.Message, StringComparison.Ordinal);
        Assert.Contains("Block", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Action_type_is_case_insensitive()
    {
        var snapshot = Compile(
            Forward("fwd", "80") with { Action = new RouteActionConfig { Type = "forward", Targets = ["10.0.0.5:80"] } },
            Forward("blk", "81") with { Action = new RouteActionConfig { Type = "BLOCK" } },
            Echo("echo", "82") with { Action = new RouteActionConfig { Type = "handler", Handler = "echo" } });

        Assert.Equal(3, snapshot.Routes.Count);
    }

    // ---- Ports -----------------------------------------------------------------------------------------------

    [Fact]
    public void Route_without_ports_is_a_validation_error()
    {
        var errors = Errors(Forward("web"));

        AssertOnly(errors, ("web", "Match.Ports"));
    }

    [Theory]
    [InlineData("70000")]
    [InlineData("65536")]
    [InlineData("abc")]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("")]
    [InlineData("+80")]
    [InlineData("8 0")]
    [InlineData("10-5")]
    [InlineData("9000-")]
    [InlineData("-9000")]
    [InlineData("0-10")]
    [InlineData("65535-65536")]
    [InlineData("1-2-3")]
    public void Bad_port_or_range_is_a_validation_error_naming_its_index(string port)
    {
        var errors = Errors(Forward("web", "80", port));

        var error = AssertOnly(errors, ("web", "Match.Ports[1]"));
        Assert.Contains($"'{port}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Range_over_1024_ports_is_a_validation_error()
    {
        var errors = Errors(Forward("wide", "10000-11024"));

        AssertOnly(errors, ("wide", "Match.Ports[0]"));
    }

    [Fact]
    public void Range_of_exactly_1024_ports_is_valid()
    {
        var snapshot = Compile(Forward("wide", "10000-11023"));

        Assert.Equal(1024, snapshot.Ports.Count);
        Assert.Equal(10000, snapshot.Ports.Keys.Min());
        Assert.Equal(11023, snapshot.Ports.Keys.Max());
    }

    // ---- Domains ---------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("exa mple.com")]
    [InlineData("*.*.x")]
    [InlineData("a..b")]
    [InlineData(".example.com")]
    [InlineData("example.com.")]
    [InlineData("*example.com")]
    [InlineData("a.*.example.com")]
    [InlineData("*.")]
    [InlineData("")]
    [InlineData("example.com:443")]
    [InlineData("https://example.com")]
    public void Bad_domain_is_a_validation_error_naming_its_index(string domain)
    {
        var errors = Errors(WithDomains(Forward("web", "443"), "ok.example.com", domain));

        AssertOnly(errors, ("web", "Match.Domains[1]"));
    }

    [Fact]
    public void Label_longer_than_63_characters_is_a_validation_error()
    {
        var errors = Errors(WithDomains(Forward("web", "443"), new string('a', 64) + ".example.com"));

        AssertOnly(errors, ("web", "Match.Domains[0]"));
    }

    [Fact]
    public void Exact_wildcard_and_any_domains_are_valid()
    {
        var snapshot = Compile(WithDomains(Forward("web", "443"), "db.example.com", "*.Example.COM", "*", "under_score.example.com", "xn--bcher-kva.example"));

        Assert.Equal(["db.example.com", "*.example.com", "*", "under_score.example.com", "xn--bcher-kva.example"],
            snapshot.Routes[0].Domains.Select(d => d.Text));
    }

    // ---- Networks --------------------------------------------------------------------------------------------

    public static TheoryData<string> BadNetworks => new()
    {
        "10.0.0.0/33",
        "2001:db8::/129",
        "10.0.0.0/",
        "/8",
        "10.0.0.0/-1",
        "10.0.0.0/8/8",
        "not-an-ip",
        "10.0.0.256",
        "fe80::1%3",
        "",
    };

    [Theory]
    [MemberData(nameof(BadNetworks))]
    public void Bad_cidr_in_ClientIps_is_a_validation_error(string network)
    {
        var errors = Errors(Forward("web", "80") with { Match = new RouteMatchConfig { Ports = ["80"], ClientIps = ["10.0.0.0/8", network] } });

        AssertOnly(errors, ("web", "Match.ClientIps[1]"));
    }

    [Theory]
    [MemberData(nameof(BadNetworks))]
    public void Bad_cidr_in_route_Acl_Allow_is_a_validation_error(string network)
    {
        var errors = Errors(Forward("web", "80") with { Acl = new AclConfig { Allow = [network] } });

        AssertOnly(errors, ("web", "Acl.Allow[0]"));
    }

    [Theory]
    [MemberData(nameof(BadNetworks))]
    public void Bad_cidr_in_route_Acl_Deny_is_a_validation_error(string network)
    {
        var errors = Errors(Forward("web", "80") with { Acl = new AclConfig { Allow = ["10.0.0.0/8"], Deny = ["10.1.0.0/16", network] } });

        AssertOnly(errors, ("web", "Acl.Deny[1]"));
    }

    [Fact]
    public void Bad_cidr_in_global_Acl_is_a_validation_error_without_a_route_id()
    {
        var errors = Errors(new ProxyOptions
        {
            Routes = [Forward("web", "80")],
            Acl = new AclConfig { Allow = ["10.0.0.0/33"], Deny = ["::1", "nope"] },
        });

        AssertOnly(errors, (null, "Acl.Allow[0]"), (null, "Acl.Deny[1]"));
    }

    [Theory]
    [MemberData(nameof(BadNetworks))]
    public void Bad_cidr_in_ProxyProtocol_TrustedNetworks_is_a_validation_error(string network)
    {
        var errors = Errors(new ProxyOptions
        {
            Routes = [Forward("web", "80")],
            ProxyProtocol = new ProxyProtocolConfig { Mode = "Optional", TrustedNetworks = ["10.0.0.0/8", network] },
        });

        AssertOnly(errors, (null, "ProxyProtocol.TrustedNetworks[1]"));
    }

    [Fact]
    public void Bad_cidr_in_a_port_ProxyProtocol_TrustedNetworks_names_the_port()
    {
        var errors = Errors(new ProxyOptions
        {
            Routes = [Forward("web", "443")],
            Ports = new Dictionary<string, PortConfig>
            {
                ["443"] = new() { ProxyProtocol = new ProxyProtocolConfig { Mode = "Required", TrustedNetworks = ["10.0.0.0/8", "10.0.0.0/40"] } },
            },
        });

        AssertOnly(errors, (null, "Ports:443:ProxyProtocol.TrustedNetworks[1]"));
    }

    [Fact]
    public void Addresses_and_cidrs_of_both_families_are_valid_everywhere()
    {
        var snapshot = Compile(new ProxyOptions
        {
            Routes =
            [
                Forward("web", "80") with
                {
                    Match = new RouteMatchConfig { Ports = ["80"], ClientIps = ["10.0.0.0/8", "2001:db8::/32", "192.0.2.7", "::ffff:10.0.0.0/104"] },
                    Acl = new AclConfig { Allow = ["10.0.0.0/8", "::1"], Deny = ["10.1.0.0/16"] },
                },
            ],
            Acl = new AclConfig { Allow = ["127.0.0.0/8", "::1"] },
            ProxyProtocol = new ProxyProtocolConfig { Mode = "Optional", TrustedNetworks = ["10.0.0.1", "fd00::/8"] },
        });

        Assert.Equal(4, snapshot.Routes[0].ClientIps.Count);
        Assert.Equal(2, snapshot.Ports[80].ProxyProtocol.TrustedNetworks.Count);
    }

    // ---- Forward ---------------------------------------------------------------------------------------------

    [Fact]
    public void Forward_without_targets_is_a_validation_error()
    {
        var errors = Errors(Forward("pg", "5432") with { Action = new RouteActionConfig { Type = "Forward" } });

        AssertOnly(errors, ("pg", "Action.Targets"));
    }

    [Theory]
    [InlineData("host")]
    [InlineData("host:0")]
    [InlineData("host:70000")]
    [InlineData("host:")]
    [InlineData("host:http")]
    [InlineData(":80")]
    [InlineData("::1:80")]
    [InlineData("2001:db8::1:443")]
    [InlineData("[::1]")]
    [InlineData("[::1:80")]
    [InlineData("[10.0.0.1]:80")]
    [InlineData("[not-an-ip]:80")]
    [InlineData("*.example.com:443")]
    [InlineData("exa mple.com:443")]
    [InlineData("http://host:80")]
    [InlineData("")]
    public void Bad_target_is_a_validation_error_naming_its_index(string target)
    {
        var errors = Errors(Forward("pg", "5432", targets: ["10.0.0.5:5432", target]));

        var error = AssertOnly(errors, ("pg", "Action.Targets[1]"));
        Assert.Contains($"'{target}'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[::1]:80")]
    [InlineData("[2001:db8::1]:443")]
    [InlineData("db.example.com:5432")]
    [InlineData("10.0.0.5:5432")]
    [InlineData("localhost:7")]
    [InlineData("backend:65535")]
    public void Valid_target_compiles(string target)
    {
        var snapshot = Compile(Forward("pg", "5432", targets: [target]));

        Assert.Equal("pg", Assert.Single(snapshot.Routes).Id);
    }

    [Theory]
    [InlineData("Fastest")]
    [InlineData("7")]
    [InlineData("")]
    public void Bad_LoadBalancing_is_a_validation_error(string policy)
    {
        var errors = Errors(WithAction(Forward("pg", "5432"), a => a with { LoadBalancing = policy }));

        AssertOnly(errors, ("pg", "Action.LoadBalancing"));
    }

    [Theory]
    [InlineData("RoundRobin")]
    [InlineData("leastconnections")]
    [InlineData("RANDOM")]
    [InlineData("ClientIpHash")]
    public void Known_LoadBalancing_is_valid_in_any_case(string policy)
    {
        Compile(WithAction(Forward("pg", "5432"), a => a with { LoadBalancing = policy }));
    }

    [Theory]
    [InlineData("V3")]
    [InlineData("yes")]
    [InlineData("9")]
    public void Bad_Forward_ProxyProtocol_is_a_validation_error(string version)
    {
        var errors = Errors(WithAction(Forward("pg", "5432"), a => a with { ProxyProtocol = version }));

        AssertOnly(errors, ("pg", "Action.ProxyProtocol"));
    }

    [Theory]
    [InlineData("None")]
    [InlineData("v1")]
    [InlineData("V2")]
    public void Known_Forward_ProxyProtocol_is_valid(string version)
    {
        Compile(WithAction(Forward("pg", "5432"), a => a with { ProxyProtocol = version }));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void Non_positive_PassiveHealth_MaxFailures_is_a_validation_error(int maxFailures)
    {
        var errors = Errors(WithAction(Forward("pg", "5432"), a => a with { PassiveHealth = new PassiveHealthConfig { MaxFailures = maxFailures } }));

        AssertOnly(errors, ("pg", "Action.PassiveHealth.MaxFailures"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-10)]
    public void Non_positive_PassiveHealth_CoolDown_is_a_validation_error(int seconds)
    {
        var errors = Errors(WithAction(Forward("pg", "5432"), a => a with { PassiveHealth = new PassiveHealthConfig { CoolDown = TimeSpan.FromSeconds(seconds) } }));

        AssertOnly(errors, ("pg", "Action.PassiveHealth.CoolDown"));
    }

    [Fact]
    public void Handler_on_a_Forward_action_is_a_validation_error()
    {
        var errors = Errors(WithAction(Forward("pg", "5432"), a => a with { Handler = "echo" }));

        AssertOnly(errors, ("pg", "Action.Handler"));
    }

    [Fact]
    public void Every_mistake_in_one_Forward_action_is_reported()
    {
        var errors = Errors(Forward("pg", "5432") with
        {
            Action = new RouteActionConfig
            {
                Type = "Forward",
                Targets = ["host", "[::1]:80", "::1:80"],
                LoadBalancing = "Fastest",
                ProxyProtocol = "V3",
                PassiveHealth = new PassiveHealthConfig { MaxFailures = 0, CoolDown = TimeSpan.Zero },
                Handler = "echo",
            },
        });

        AssertOnly(errors,
            ("pg", "Action.Targets[0]"),
            ("pg", "Action.Targets[2]"),
            ("pg", "Action.LoadBalancing"),
            ("pg", "Action.ProxyProtocol"),
            ("pg", "Action.PassiveHealth.MaxFailures"),
            ("pg", "Action.PassiveHealth.CoolDown"),
            ("pg", "Action.Handler"));
    }

    // ---- Handler and Block -----------------------------------------------------------------------------------

    [Fact]
    public void Unknown_handler_is_a_validation_error()
    {
        var errors = Errors(Echo("echo", "7") with { Action = new RouteActionConfig { Type = "Handler", Handler = "chargen" } });

        var error = AssertOnly(errors, ("echo", "Action.Handler"));
        Assert.Contains("chargen", error.Message, StringComparison.Ordinal);
        Assert.Contains("echo", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Handler_action_without_a_handler_name_is_a_validation_error(string? handler)
    {
        var errors = Errors(Echo("echo", "7") with { Action = new RouteActionConfig { Type = "Handler", Handler = handler } });

        AssertOnly(errors, ("echo", "Action.Handler"));
    }

    [Fact]
    public void Handler_action_with_targets_is_a_validation_error()
    {
        var errors = Errors(Echo("echo", "7") with { Action = new RouteActionConfig { Type = "Handler", Handler = "echo", Targets = ["10.0.0.1:7"] } });

        AssertOnly(errors, ("echo", "Action.Targets"));
    }

    [Fact]
    public void Handler_name_is_case_insensitive()
    {
        Compile(Echo("echo", "7") with { Action = new RouteActionConfig { Type = "Handler", Handler = "ECHO" } });
    }

    [Fact]
    public void Block_action_with_targets_is_a_validation_error()
    {
        var errors = Errors(Block("deny", "23") with { Action = new RouteActionConfig { Type = "Block", Targets = ["10.0.0.1:23"] } });

        AssertOnly(errors, ("deny", "Action"));
    }

    // ---- Transport -------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("Quic")]
    [InlineData("")]
    public void Unsupported_transport_is_a_validation_error(string transport)
    {
        var errors = Errors(Forward("dns", "53") with { Match = new RouteMatchConfig { Ports = ["53"], Transport = transport } });

        AssertOnly(errors, ("dns", "Match.Transport"));
    }

    [Fact]
    public void Tcp_transport_is_valid_in_any_case()
    {
        Compile(Forward("dns", "53") with { Match = new RouteMatchConfig { Ports = ["53"], Transport = "tcp" } });
    }

    // ---- Limits ----------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("MaxConnections", 0)]
    [InlineData("MaxConnections", -1)]
    [InlineData("MaxConnectionsPerIp", 0)]
    [InlineData("MaxConnectionsPerIp", -5)]
    [InlineData("PeekMaxBytes", 0)]
    [InlineData("PeekMaxBytes", -1)]
    [InlineData("PeekTimeout", 0)]
    [InlineData("PeekTimeout", -1)]
    [InlineData("ConnectTimeout", 0)]
    [InlineData("ConnectTimeout", -1)]
    [InlineData("IdleTimeout", 0)]
    [InlineData("IdleTimeout", -1)]
    public void Non_positive_route_limit_is_a_validation_error(string field, int value)
    {
        var errors = Errors(Forward("pg", "5432") with { Limits = Limits(field, value) });

        AssertOnly(errors, ("pg", $"Limits.{field}"));
    }

    [Theory]
    [InlineData("MaxConnections", 0)]
    [InlineData("MaxConnectionsPerIp", -1)]
    [InlineData("PeekMaxBytes", 0)]
    [InlineData("PeekTimeout", 0)]
    [InlineData("ConnectTimeout", -1)]
    [InlineData("IdleTimeout", 0)]
    public void Non_positive_global_limit_is_a_validation_error_without_a_route_id(string field, int value)
    {
        var errors = Errors(new ProxyOptions { Routes = [Forward("pg", "5432")], Limits = Limits(field, value) });

        AssertOnly(errors, (null, $"Limits.{field}"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Non_positive_DnsRefresh_is_a_validation_error_without_a_route_id(int seconds)
    {
        var errors = Errors(new ProxyOptions { Routes = [Forward("pg", "5432")], DnsRefresh = TimeSpan.FromSeconds(seconds) });

        AssertOnly(errors, (null, "DnsRefresh"));
    }

    [Fact]
    public void A_target_name_keeps_its_resolved_addresses_from_one_applied_snapshot_to_the_next_until_DnsRefresh_changes()
    {
        var compiler = Compiler();
        var route = Forward("db", "5432", ["db.internal:5432", "10.0.0.5:5432"]);
        var first = Applied(compiler, new ProxyOptions { Routes = [route] }, 1);
        var second = Applied(compiler, new ProxyOptions { Routes = [route] }, 2);
        var changed = Applied(compiler, new ProxyOptions { Routes = [route], DnsRefresh = TimeSpan.FromMinutes(5) }, 3);

        Assert.Equal(TargetAddresses.DefaultRefresh, first[0].Addresses!.Refresh);
        Assert.Null(first[1].Addresses); // an address literal is never looked up
        Assert.Same(first[0], second[0]);
        Assert.NotSame(second[0], changed[0]);
        Assert.Equal(TimeSpan.FromMinutes(5), changed[0].Addresses!.Refresh);
        Assert.Same(second[1], changed[1]);
    }

    [Fact]
    public void Targets_are_handed_on_from_the_snapshot_in_force_not_from_a_dry_run_or_a_deleted_route()
    {
        var compiler = Compiler();
        var route = Forward("db", "5432", ["10.0.0.5:5432", "10.0.0.6:5432"]);
        var running = Applied(compiler, new ProxyOptions { Routes = [route] }, 1);

        // A dry run (compiled, never applied) that drops a target, then the same route again: the same objects, so the
        // same health and connection counts.
        compiler.Compile(new ProxyOptions { Routes = [Forward("db", "5432", ["10.0.0.6:5432"])] }, 2, out _);
        var again = Applied(compiler, new ProxyOptions { Routes = [route] }, 3);
        Assert.Same(running[0], again[0]);
        Assert.Same(running[1], again[1]);

        // Deleted, then created again with the same id: new targets.
        compiler.Applied(compiler.Compile(new ProxyOptions { Routes = [Forward("other", "5433")] }, 4, out _)!);
        var recreated = Applied(compiler, new ProxyOptions { Routes = [route] }, 5);
        Assert.NotSame(again[0], recreated[0]);
    }

    private static IReadOnlyList<ForwardTarget> Applied(ProxyConfigCompiler compiler, ProxyOptions options, long version)
    {
        var snapshot = compiler.Compile(options, version, out var errors);
        Assert.Empty(errors);
        compiler.Applied(snapshot!);
        return ((ForwardAction)snapshot!.Routes.Single(r => r.Id == "db").Action).Pool.Targets;
    }

    [Fact]
    public void PeekMaxBytes_over_one_mebibyte_is_a_validation_error()
    {
        var errors = Errors(Forward("pg", "5432") with { Limits = new LimitsConfig { PeekMaxBytes = (1024 * 1024) + 1 } });

        AssertOnly(errors, ("pg", "Limits.PeekMaxBytes"));
    }

    [Fact]
    public void Route_limits_override_global_limits_field_by_field()
    {
        var snapshot = Compile(new ProxyOptions
        {
            Routes = [Forward("pg", "5432") with { Limits = new LimitsConfig { IdleTimeout = TimeSpan.FromMinutes(5), MaxConnections = 10 } }, Forward("web", "80")],
            Limits = new LimitsConfig { ConnectTimeout = TimeSpan.FromSeconds(2), IdleTimeout = TimeSpan.FromMinutes(30), MaxConnections = 500 },
        });

        var pg = snapshot.Routes.Single(r => r.Id == "pg").Limits;
        Assert.Equal(TimeSpan.FromMinutes(5), pg.IdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(2), pg.ConnectTimeout);
        Assert.Equal(10, pg.MaxConnections);
        var web = snapshot.Routes.Single(r => r.Id == "web").Limits;
        Assert.Equal(TimeSpan.FromMinutes(30), web.IdleTimeout);
        Assert.Null(web.MaxConnections); // The global total is enforced globally, not once more per route.
        Assert.Equal(500, snapshot.Limits.MaxConnections);
    }

    // ---- PROXY protocol on receive ---------------------------------------------------------------------------

    [Theory]
    [InlineData("On")]
    [InlineData("true")]
    [InlineData("")]
    [InlineData("7")]
    public void Bad_ProxyProtocol_mode_is_a_validation_error(string mode)
    {
        var errors = Errors(new ProxyOptions
        {
            Routes = [Forward("web", "80")],
            ProxyProtocol = new ProxyProtocolConfig { Mode = mode, TrustedNetworks = ["10.0.0.0/8"] },
        });

        AssertOnly(errors, (null, "ProxyProtocol.Mode"));
    }

    [Fact]
    public void Bad_ProxyProtocol_mode_on_a_port_names_the_port()
    {
        var errors = Errors(new ProxyOptions
        {
            Routes = [Forward("web", "443")],
            Ports = new Dictionary<string, PortConfig> { ["443"] = new() { ProxyProtocol = new ProxyProtocolConfig { Mode = "Sometimes" } } },
        });

        AssertOnly(errors, (null, "Ports:443:ProxyProtocol.Mode"));
    }

    [Theory]
    [InlineData("Optional")]
    [InlineData("required")]
    public void ProxyProtocol_on_without_trusted_networks_is_a_validation_error(string mode)
    {
        var errors = Errors(new ProxyOptions { Routes = [Forward("web", "80")], ProxyProtocol = new ProxyProtocolConfig { Mode = mode } });

        AssertOnly(errors, (null, "ProxyProtocol.TrustedNetworks"));
    }

    [Fact]
    public void ProxyProtocol_on_a_port_without_trusted_networks_names_the_port()
    {
        var errors = Errors(new ProxyOptions
        {
            Routes = [Forward("web", "443")],
            Ports = new Dictionary<string, PortConfig> { ["443"] = new() { ProxyProtocol = new ProxyProtocolConfig { Mode = "Required" } } },
        });

        AssertOnly(errors, (null, "Ports:443:ProxyProtocol.TrustedNetworks"));
    }

    [Fact]
    public void ProxyProtocol_off_needs_no_trusted_networks()
    {
        var snapshot = Compile(new ProxyOptions { Routes = [Forward("web", "80")], ProxyProtocol = new ProxyProtocolConfig { Mode = "Off" } });

        Assert.Equal(ProxyProtocolMode.Off, snapshot.Ports[80].ProxyProtocol.Mode);
    }

    [Fact]
    public void Port_ProxyProtocol_replaces_the_global_setting_on_that_port_only()
    {
        var snapshot = Compile(new ProxyOptions
        {
            Routes = [Forward("web", "80", "443")],
            ProxyProtocol = new ProxyProtocolConfig { Mode = "Optional", TrustedNetworks = ["10.0.0.0/8"] },
            Ports = new Dictionary<string, PortConfig>
            {
                ["443"] = new() { ProxyProtocol = new ProxyProtocolConfig { Mode = "Required", TrustedNetworks = ["192.0.2.1", "192.0.2.2"] } },
            },
        });

        Assert.Equal(ProxyProtocolMode.Optional, snapshot.Ports[80].ProxyProtocol.Mode);
        Assert.Equal(1, snapshot.Ports[80].ProxyProtocol.TrustedNetworks.Count);
        Assert.Equal(ProxyProtocolMode.Required, snapshot.Ports[443].ProxyProtocol.Mode);
        Assert.Equal(2, snapshot.Ports[443].ProxyProtocol.TrustedNetworks.Count);
    }

    // ---- Ports section and bind addresses --------------------------------------------------------------------

    [Theory]
    [InlineData("https")]
    [InlineData("0")]
    [InlineData("70000")]
    [InlineData("443-444")]
    [InlineData("")]
    public void Ports_key_that_is_not_a_port_number_is_a_validation_error(string key)
    {
        var errors = Errors(new ProxyOptions
        {
            Routes = [Forward("web", "443")],
            Ports = new Dictionary<string, PortConfig> { [key] = new() { BindAddress = "127.0.0.1" } },
        });

        AssertOnly(errors, (null, $"Ports:{key}"));
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("0.0.0.0:80")]
    [InlineData("300.1.1.1")]
    [InlineData("")]
    public void Bad_global_BindAddress_is_a_validation_error(string address)
    {
        var errors = Errors(new ProxyOptions { Routes = [Forward("web", "80")], BindAddress = address });

        AssertOnly(errors, (null, "BindAddress"));
    }

    [Fact]
    public void Bad_port_BindAddress_is_a_validation_error_naming_the_port()
    {
        var errors = Errors(new ProxyOptions
        {
            Routes = [Forward("web", "443")],
            Ports = new Dictionary<string, PortConfig> { ["443"] = new() { BindAddress = "any" } },
        });

        AssertOnly(errors, (null, "Ports:443:BindAddress"));
    }

    [Fact]
    public void Bad_settings_of_a_port_without_routes_are_still_reported()
    {
        // A typo must not lie dormant until the day a route is added on that port.
        var errors = Errors(new ProxyOptions
        {
            Routes = [Forward("web", "443")],
            Ports = new Dictionary<string, PortConfig>
            {
                ["8443"] = new() { BindAddress = "any", ProxyProtocol = new ProxyProtocolConfig { Mode = "Sometimes", TrustedNetworks = ["10.0.0.0/8"] } },
            },
        });

        AssertOnly(errors, (null, "Ports:8443:BindAddress"), (null, "Ports:8443:ProxyProtocol.Mode"));
    }

    [Fact]
    public void Bind_address_defaults_to_any_and_a_port_may_replace_the_global_one()
    {
        var defaults = Compile(Forward("web", "80"));
        Assert.Equal(IPAddress.Any, defaults.Ports[80].BindAddress);

        var snapshot = Compile(new ProxyOptions
        {
            Routes = [Forward("web", "80", "443")],
            BindAddress = "127.0.0.1",
            Ports = new Dictionary<string, PortConfig> { ["443"] = new() { BindAddress = "::" } },
        });

        Assert.Equal(IPAddress.Loopback, snapshot.Ports[80].BindAddress);
        Assert.Equal(IPAddress.IPv6Any, snapshot.Ports[443].BindAddress);
    }

    // ---- Ambiguity -------------------------------------------------------------------------------------------

    [Fact]
    public void Two_routes_without_domains_on_the_same_port_and_priority_are_ambiguous()
    {
        var errors = Errors(Forward("first", "5432"), Forward("second", "5432"));

        AssertAmbiguous(errors, "first", "second", 5432);
    }

    [Fact]
    public void Two_routes_with_the_same_domain_on_the_same_port_and_priority_are_ambiguous()
    {
        var errors = Errors(
            WithDomains(Forward("first", "443"), "a.example.com", "db.example.com"),
            WithDomains(Forward("second", "443"), "DB.Example.com"));

        var error = AssertAmbiguous(errors, "first", "second", 443);
        Assert.Contains("db.example.com", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_routes_with_the_same_wildcard_on_the_same_port_and_priority_are_ambiguous()
    {
        var errors = Errors(WithDomains(Forward("first", "443"), "*.example.com"), WithDomains(Forward("second", "443"), "*.example.com"));

        AssertAmbiguous(errors, "first", "second", 443);
    }

    [Fact]
    public void Two_routes_with_the_same_client_network_are_ambiguous_even_when_spelled_as_ipv4_mapped()
    {
        var errors = Errors(
            WithClientIps(Forward("first", "80"), "10.0.0.0/8"),
            WithClientIps(Forward("second", "80"), "::ffff:10.0.0.0/104"));

        AssertAmbiguous(errors, "first", "second", 80);
    }

    [Fact]
    public void Routes_that_overlap_on_one_port_of_a_range_are_ambiguous_on_that_port()
    {
        var errors = Errors(Forward("range", "9000-9002"), Forward("single", "9002"));

        AssertAmbiguous(errors, "range", "single", 9002);
    }

    [Fact]
    public void Routes_with_different_priorities_are_not_ambiguous()
    {
        Compile(Forward("first", "5432") with { Priority = 1 }, Forward("second", "5432"));
    }

    [Fact]
    public void Exact_and_wildcard_domains_on_the_same_port_are_not_ambiguous()
    {
        Compile(WithDomains(Forward("db", "443"), "db.example.com"), WithDomains(Forward("web", "443"), "*.example.com"), WithDomains(Forward("any", "443"), "*"));
    }

    [Fact]
    public void Route_with_domains_and_route_without_on_the_same_port_are_not_ambiguous()
    {
        Compile(WithDomains(Forward("db", "443"), "db.example.com"), Forward("fallback", "443"));
    }

    [Fact]
    public void Client_networks_of_different_prefix_lengths_are_not_ambiguous()
    {
        Compile(
            WithClientIps(Forward("wide", "80"), "10.0.0.0/8"),
            WithClientIps(Forward("narrow", "80"), "10.1.0.0/16"),
            WithClientIps(Forward("host", "80"), "10.1.2.3"),
            Forward("anyone", "80"));
    }

    [Fact]
    public void Same_match_on_different_ports_is_not_ambiguous()
    {
        Compile(Forward("first", "80"), Forward("second", "81"));
    }

    [Fact]
    public void Ambiguity_among_three_routes_reports_every_pair()
    {
        var errors = Errors(Forward("a", "80"), Forward("b", "80"), Forward("c", "80"));

        Assert.Equal(3, errors.Count);
        Assert.All(errors, e => Assert.Equal("Match", e.Field));
        foreach (var (x, y) in new[] { ("a", "b"), ("a", "c"), ("b", "c") })
        {
            Assert.Contains(errors, e => (e.RouteId == x && Mentions(e, y)) || (e.RouteId == y && Mentions(e, x)));
        }
    }

    // ---- Many errors at once ---------------------------------------------------------------------------------

    [Fact]
    public void Five_mistakes_in_three_routes_are_all_reported_together()
    {
        var errors = Errors(
            Echo("echo", "70000") with { Action = new RouteActionConfig { Type = "Handler", Handler = "chargen" } },
            WithClientIps(WithDomains(Forward("web", "443"), "exa mple.com"), "10.0.0.0/33"),
            Forward("pg", "5432", targets: ["::1:5432"]));

        AssertOnly(errors,
            ("echo", "Match.Ports[0]"),
            ("echo", "Action.Handler"),
            ("web", "Match.Domains[0]"),
            ("web", "Match.ClientIps[0]"),
            ("pg", "Action.Targets[0]"));
    }

    [Fact]
    public void Global_route_and_ambiguity_errors_are_all_reported_together()
    {
        var errors = Errors(new ProxyOptions
        {
            Routes =
            [
                Forward(null, "80"),
                Forward("dup", "81"),
                Forward("DUP", "82") with { Limits = new LimitsConfig { IdleTimeout = TimeSpan.Zero } },
                Forward("dns", "53") with { Match = new RouteMatchConfig { Ports = ["53"], Transport = "Quic" }, Action = new RouteActionConfig { Type = "Teleport" } },
                Forward("x", "9000"),
                Forward("y", "9000"),
            ],
            Acl = new AclConfig { Deny = ["bogus"] },
            Limits = new LimitsConfig { PeekTimeout = TimeSpan.Zero },
            BindAddress = "everywhere",
            ProxyProtocol = new ProxyProtocolConfig { Mode = "Required" },
            Ports = new Dictionary<string, PortConfig> { ["http"] = new() },
        });

        // Which of two tied routes carries the ambiguity error is the compiler's choice; it must name both.
        AssertAmbiguous([.. errors.Where(e => e.Field == "Match")], "x", "y", 9000);
        AssertOnly([.. errors.Where(e => e.Field != "Match")],
            (null, "Acl.Deny[0]"),
            (null, "Limits.PeekTimeout"),
            (null, "BindAddress"),
            (null, "ProxyProtocol.TrustedNetworks"),
            (null, "Ports:http"),
            ("#0", "Id"),
            ("DUP", "Id"),
            ("DUP", "Limits.IdleTimeout"),
            ("dns", "Match.Transport"),
            ("dns", "Action.Type"));
    }

    // ---- Compiled snapshot -----------------------------------------------------------------------------------

    [Fact]
    public void Valid_configuration_compiles_to_a_snapshot_with_every_port_of_every_route()
    {
        var snapshot = Compiler().Compile(
            new ProxyOptions { Routes = [Forward("range", "9000-9002"), Forward("two", "443", "8443"), Echo("echo", "7")] },
            42,
            out var errors);

        Assert.Empty(errors);
        Assert.NotNull(snapshot);
        Assert.Equal(42, snapshot.Version);
        Assert.Equal(["range", "two", "echo"], snapshot.Routes.Select(r => r.Id));
        Assert.Equal([7, 443, 8443, 9000, 9001, 9002], snapshot.Ports.Keys.Order());
        foreach (var (port, routes) in snapshot.Ports)
        {
            Assert.Equal(port, routes.Port);
        }

        Assert.Equal("two", Assert.Single(snapshot.Ports[443].Routes).Id);
        Assert.Same(snapshot.Ports[443].Routes[0], snapshot.Ports[8443].Routes[0]);
        Assert.All([9000, 9001, 9002], p => Assert.Equal("range", Assert.Single(snapshot.Ports[p].Routes).Id));
        Assert.Equal([new PortRange(9000, 9002)], snapshot.Routes[0].Ports);
    }

    [Fact]
    public void Route_naming_a_port_twice_appears_once_on_it()
    {
        var snapshot = Compile(Forward("web", "443", "440-445", "443"));

        Assert.Equal([440, 441, 442, 443, 444, 445], snapshot.Ports.Keys.Order());
        Assert.Single(snapshot.Ports[443].Routes);
    }

    [Fact]
    public void Routes_on_a_port_are_ordered_highest_priority_first()
    {
        var snapshot = Compile(
            Forward("low", "80") with { Priority = -5 },
            Forward("default", "443", "80"),
            Forward("high", "80") with { Priority = 10 });

        Assert.Equal(["high", "default", "low"], snapshot.Ports[80].Routes.Select(r => r.Id));
        Assert.Equal(0, snapshot.Routes.Single(r => r.Id == "default").Priority);
    }

    [Fact]
    public void NeedsServerName_is_true_only_on_ports_with_a_domain_route()
    {
        var snapshot = Compile(
            WithDomains(Forward("db", "443"), "db.example.com"),
            Forward("fallback", "443", "5432"),
            WithDomains(Forward("any", "8443"), "*"),
            Echo("echo", "7"));

        Assert.True(snapshot.Ports[443].NeedsServerName);
        Assert.True(snapshot.Ports[8443].NeedsServerName);
        Assert.False(snapshot.Ports[5432].NeedsServerName);
        Assert.False(snapshot.Ports[7].NeedsServerName);
    }

    [Fact]
    public void Port_peek_bounds_are_the_most_generous_among_its_routes()
    {
        var snapshot = Compile(new ProxyOptions
        {
            Routes =
            [
                WithDomains(Forward("slow", "443"), "slow.example.com") with
                {
                    Limits = new LimitsConfig { PeekTimeout = TimeSpan.FromSeconds(10), PeekMaxBytes = 4096 },
                },
                WithDomains(Forward("big", "443", "8443"), "big.example.com") with
                {
                    Limits = new LimitsConfig { PeekTimeout = TimeSpan.FromMilliseconds(500), PeekMaxBytes = 65536 },
                },
                Forward("plain", "443", "5432"),
            ],
            Limits = new LimitsConfig { PeekTimeout = TimeSpan.FromSeconds(2), PeekMaxBytes = 8192 },
        });

        Assert.Equal(TimeSpan.FromSeconds(10), snapshot.Ports[443].PeekTimeout);
        Assert.Equal(65536, snapshot.Ports[443].PeekMaxBytes);
        Assert.Equal(TimeSpan.FromMilliseconds(500), snapshot.Ports[8443].PeekTimeout);
        Assert.Equal(65536, snapshot.Ports[8443].PeekMaxBytes);
        Assert.Equal(TimeSpan.FromSeconds(2), snapshot.Ports[5432].PeekTimeout); // The global limits, where no route overrides them.
        Assert.Equal(8192, snapshot.Ports[5432].PeekMaxBytes);
    }

    [Fact]
    public void Port_peek_bounds_default_to_the_built_in_limits()
    {
        var snapshot = Compile(Forward("web", "80"));

        Assert.Equal(EffectiveLimits.Defaults.PeekTimeout, snapshot.Ports[80].PeekTimeout);
        Assert.Equal(EffectiveLimits.Defaults.PeekMaxBytes, snapshot.Ports[80].PeekMaxBytes);
    }

    // ---- Helpers ---------------------------------------------------------------------------------------------

    private static ProxyConfigCompiler Compiler()
        => new([new ForwardActionFactory(NullLogger<ForwardAction>.Instance), new HandlerActionFactory([new EchoHandler()]), new BlockAction()], new ProxyMetrics());

    private static RouteConfig Forward(string? id, params string[] ports) => Forward(id, ports, ["10.0.0.5:5432"]);

    private static RouteConfig Forward(string? id, string port, string[] targets) => Forward(id, [port], targets);

    private static RouteConfig Forward(string? id, string[] ports, string[] targets) => new()
    {
        Id = id,
        Match = new RouteMatchConfig { Ports = ports },
        Action = new RouteActionConfig { Type = "Forward", Targets = targets },
    };

    private static RouteConfig Echo(string id, string port) => new()
    {
        Id = id,
        Match = new RouteMatchConfig { Ports = [port] },
        Action = new RouteActionConfig { Type = "Handler", Handler = "echo" },
    };

    private static RouteConfig Block(string id, string port) => new()
    {
        Id = id,
        Match = new RouteMatchConfig { Ports = [port] },
        Action = new RouteActionConfig { Type = "Block" },
    };

    private static RouteConfig WithDomains(RouteConfig route, params string[] domains)
        => route with { Match = route.Match! with { Domains = domains } };

    private static RouteConfig WithClientIps(RouteConfig route, params string[] clientIps)
        => route with { Match = route.Match! with { ClientIps = clientIps } };

    private static RouteConfig WithAction(RouteConfig route, Func<RouteActionConfig, RouteActionConfig> change)
        => route with { Action = change(route.Action!) };

    private static LimitsConfig Limits(string field, int value) => field switch
    {
        "MaxConnections" => new LimitsConfig { MaxConnections = value },
        "MaxConnectionsPerIp" => new LimitsConfig { MaxConnectionsPerIp = value },
        "PeekMaxBytes" => new LimitsConfig { PeekMaxBytes = value },
        "PeekTimeout" => new LimitsConfig { PeekTimeout = TimeSpan.FromSeconds(value) },
        "ConnectTimeout" => new LimitsConfig { ConnectTimeout = TimeSpan.FromSeconds(value) },
        "IdleTimeout" => new LimitsConfig { IdleTimeout = TimeSpan.FromSeconds(value) },
        _ => throw new ArgumentOutOfRangeException(nameof(field), field, "Not a limit."),
    };

    private static ProxySnapshot Compile(params RouteConfig[] routes) => Compile(new ProxyOptions { Routes = routes });

    private static ProxySnapshot Compile(ProxyOptions options)
    {
        var snapshot = Compiler().Compile(options, 1, out var errors);

        Assert.Empty(errors);
        Assert.NotNull(snapshot);
        return snapshot;
    }

    private static IReadOnlyList<ConfigError> Errors(params RouteConfig[] routes) => Errors(new ProxyOptions { Routes = routes });

    private static IReadOnlyList<ConfigError> Errors(ProxyOptions options)
    {
        var snapshot = Compiler().Compile(options, 1, out var errors);

        Assert.Null(snapshot);
        Assert.NotEmpty(errors);
        Assert.All(errors, e => Assert.False(string.IsNullOrWhiteSpace(e.Message)));
        return errors;
    }

    /// <summary>Asserts the errors are exactly these (route id, field) pairs, in any order; returns the first.</summary>
    private static ConfigError AssertOnly(IReadOnlyList<ConfigError> errors, params (string? RouteId, string Field)[] expected)
    {
        var actual = errors.Select(e => (e.RouteId, e.Field)).Order().ToArray();
        Assert.Equal(expected.Order().ToArray(), actual);
        return errors.First(e => e.RouteId == expected[0].RouteId && e.Field == expected[0].Field);
    }

    /// <summary>Asserts one ambiguity error names both routes and the port.</summary>
    private static ConfigError AssertAmbiguous(IReadOnlyList<ConfigError> errors, string first, string second, int port)
    {
        var error = Assert.Single(errors);
        Assert.Equal("Match", error.Field);
        Assert.True(
            (error.RouteId == first && Mentions(error, second)) || (error.RouteId == second && Mentions(error, first)),
            $"Expected an error naming both '{first}' and '{second}': {error}");
        Assert.Contains($"port {port}", error.Message, StringComparison.Ordinal);
        return error;
    }

    private static bool Mentions(ConfigError error, string routeId)
        => error.Message.Contains($"'{routeId}'", StringComparison.Ordinal);
}
