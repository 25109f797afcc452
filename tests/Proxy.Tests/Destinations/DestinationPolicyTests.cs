using System.Net;
using Proxy.Configuration;
using Proxy.Destinations;
using Proxy.Routing;

namespace Proxy.Tests.Destinations;

/// <summary>The destination policy of Connect, Socks5 and Relay routes: names before resolving, addresses before dialing,
/// deny first, and special addresses only when an IP/CIDR entry names them.</summary>
public sealed class DestinationPolicyTests
{
    [Theory]
    [InlineData("example.com", 443, true)]
    [InlineData("EXAMPLE.com", 443, true)]
    [InlineData("example.com", 80, false)]
    [InlineData("www.example.com", 443, false)]
    [InlineData("example.org", 443, false)]
    public void Exact_host_entry_admits_only_that_name_and_port(string host, int port, bool allowed)
        => Assert.Equal(allowed, Policy(["example.com:443"]).AllowsName(host, port));

    [Theory]
    [InlineData("api.github.com", true)]
    [InlineData("API.GitHub.com", true)]
    [InlineData("github.com", false)]
    [InlineData("a.b.github.com", false)]
    [InlineData("evilgithub.com", false)]
    [InlineData("github.com.evil.example", false)]
    public void Wildcard_host_entry_admits_one_label_below_the_domain(string host, bool allowed)
        => Assert.Equal(allowed, Policy(["*.github.com:443"]).AllowsName(host, 443));

    [Theory]
    [InlineData(7999, false)]
    [InlineData(8000, true)]
    [InlineData(8042, true)]
    [InlineData(8080, true)]
    [InlineData(8081, false)]
    public void Port_ranges_are_inclusive(int port, bool allowed)
        => Assert.Equal(allowed, Policy(["*:8000-8080"]).AllowsName("example.com", port));

    [Theory]
    [InlineData(1)]
    [InlineData(443)]
    [InlineData(65535)]
    public void Star_port_admits_every_port(int port)
        => Assert.True(Policy(["example.com:*"]).AllowsName("example.com", port));

    [Fact]
    public void Empty_allow_list_admits_nothing()
    {
        var policy = Policy([]);

        Assert.False(policy.AllowsName("example.com", 443));
        Assert.False(policy.AllowsAddress(IPAddress.Parse("93.184.216.34"), 443, nameAllowed: false));
    }

    [Fact]
    public void Deny_wins_over_allow_for_names()
    {
        var policy = Policy(["*:*"], ["blocked.example.com:*", "*.internal.example:*", "*:25"]);

        Assert.True(policy.AllowsName("example.com", 443));
        Assert.False(policy.AllowsName("blocked.example.com", 443));
        Assert.False(policy.AllowsName("db.internal.example", 5432));
        Assert.False(policy.AllowsName("mail.example.com", 25));
        Assert.True(policy.AllowsName("mail.example.com", 587));
    }

    [Fact]
    public void Deny_wins_over_allow_for_addresses_even_explicit_cidrs()
    {
        var policy = Policy(["*:*", "10.0.0.0/8:*"], ["203.0.113.0/24:*", "10.9.0.0/16:*", "198.51.100.7:22"]);

        Assert.False(policy.AllowsAddress(IPAddress.Parse("203.0.113.9"), 443, nameAllowed: true));
        Assert.False(policy.AllowsAddress(IPAddress.Parse("203.0.113.9"), 443, nameAllowed: false));
        Assert.False(policy.AllowsAddress(IPAddress.Parse("10.9.1.1"), 443, nameAllowed: false));
        Assert.True(policy.AllowsAddress(IPAddress.Parse("10.8.1.1"), 443, nameAllowed: false));
        Assert.False(policy.AllowsAddress(IPAddress.Parse("198.51.100.7"), 22, nameAllowed: false));
        Assert.True(policy.AllowsAddress(IPAddress.Parse("198.51.100.7"), 443, nameAllowed: false));
    }

    [Fact]
    public void Cidr_entries_admit_their_range_and_ports_only()
    {
        var policy = Policy(["192.0.2.0/24:443", "198.51.100.7:1000-2000"]);

        Assert.True(policy.AllowsAddress(IPAddress.Parse("192.0.2.1"), 443, nameAllowed: false));
        Assert.True(policy.AllowsAddress(IPAddress.Parse("192.0.2.255"), 443, nameAllowed: false));
        Assert.False(policy.AllowsAddress(IPAddress.Parse("192.0.2.1"), 80, nameAllowed: false));
        Assert.False(policy.AllowsAddress(IPAddress.Parse("192.0.3.1"), 443, nameAllowed: false));
        Assert.True(policy.AllowsAddress(IPAddress.Parse("198.51.100.7"), 1500, nameAllowed: false));
        Assert.False(policy.AllowsAddress(IPAddress.Parse("198.51.100.8"), 1500, nameAllowed: false));
        Assert.False(policy.AllowsName("example.com", 443)); // CIDR entries say nothing about names.
    }

    [Fact]
    public void Public_ip_literal_needs_a_cidr_entry_or_the_any_host_pattern()
    {
        var address = IPAddress.Parse("93.184.216.34");

        Assert.False(Policy(["example.com:443"]).AllowsAddress(address, 443, nameAllowed: false));
        Assert.False(Policy(["*.example.com:443"]).AllowsAddress(address, 443, nameAllowed: false));
        Assert.True(Policy(["*:443"]).AllowsAddress(address, 443, nameAllowed: false));
        Assert.False(Policy(["*:443"]).AllowsAddress(address, 80, nameAllowed: false));
        Assert.True(Policy(["93.184.216.0/24:*"]).AllowsAddress(address, 80, nameAllowed: false));
    }

    [Fact]
    public void Public_address_a_permitted_name_resolved_to_is_allowed()
        => Assert.True(Policy(["example.com:443"]).AllowsAddress(IPAddress.Parse("93.184.216.34"), 443, nameAllowed: true));

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.1.2.3")]
    [InlineData("0.0.0.0")]
    [InlineData("10.0.0.1")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.254")]
    [InlineData("192.168.1.1")]
    [InlineData("100.64.0.1")]
    [InlineData("169.254.169.254")]
    [InlineData("224.0.0.1")]
    [InlineData("255.255.255.255")]
    [InlineData("::1")]
    [InlineData("::")]
    [InlineData("fe80::1")]
    [InlineData("fd00:ec2::254")]
    [InlineData("fc00::1")]
    [InlineData("ff02::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("64:ff9b::7f00:1")]
    public void Special_addresses_are_refused_under_wildcards_and_through_permitted_names(string text)
    {
        var address = IPAddress.Parse(text);
        var policy = Policy(["*:*", "localhost:*", "metadata.google.internal:*"]);

        Assert.False(policy.AllowsAddress(address, 80, nameAllowed: false));
        Assert.False(policy.AllowsAddress(address, 80, nameAllowed: true)); // DNS rebinding: a permitted name resolving here.
    }

    [Theory]
    [InlineData("127.0.0.1/32:*", "127.0.0.1", true)]
    [InlineData("127.0.0.1/32:*", "127.0.0.2", false)]
    [InlineData("127.0.0.0/8:*", "127.0.0.2", true)]
    [InlineData("127.0.0.1:*", "127.0.0.1", true)]
    [InlineData("10.0.0.0/8:*", "10.1.2.3", true)]
    [InlineData("169.254.169.254/32:80", "169.254.169.254", true)]
    [InlineData("127.0.0.1/32:*", "::ffff:127.0.0.1", true)]
    [InlineData("[::1]:*", "::1", true)]
    [InlineData("[::1/128]:*", "::1", true)]
    [InlineData("[fd00::/8]:*", "fd00:ec2::254", true)]
    [InlineData("[::ffff:127.0.0.0/104]:*", "127.0.0.1", true)]
    public void Special_addresses_are_allowed_by_an_explicit_ip_or_cidr_entry(string entry, string text, bool allowed)
    {
        var policy = Policy([entry]);
        var address = IPAddress.Parse(text);

        Assert.Equal(allowed, policy.AllowsAddress(address, 80, nameAllowed: false));
        Assert.Equal(allowed, policy.AllowsAddress(address, 80, nameAllowed: true));
    }

    [Fact]
    public void Localhost_name_entry_alone_admits_the_name_but_not_the_loopback_address_it_resolves_to()
    {
        var policy = Policy(["localhost:*"]);

        Assert.True(policy.AllowsName("localhost", 8080));
        Assert.False(policy.AllowsAddress(IPAddress.Loopback, 8080, nameAllowed: true));
        Assert.False(policy.AllowsAddress(IPAddress.IPv6Loopback, 8080, nameAllowed: true));
    }

    [Fact]
    public void Localhost_name_with_the_loopback_cidr_admits_both()
    {
        var policy = Policy(["127.0.0.1/32:*", "localhost:*"]);

        Assert.True(policy.AllowsName("localhost", 8080));
        Assert.True(policy.AllowsAddress(IPAddress.Loopback, 8080, nameAllowed: true));
        Assert.False(policy.AllowsAddress(IPAddress.IPv6Loopback, 8080, nameAllowed: true));
    }

    [Fact]
    public void Ipv6_bracket_form_names_a_cidr_and_its_ports()
    {
        var policy = Policy(["[2001:db8::/32]:443", "[2001:db8:ffff::1]:22"]);

        Assert.True(policy.AllowsAddress(IPAddress.Parse("2001:db8::1"), 443, nameAllowed: false));
        Assert.True(policy.AllowsAddress(IPAddress.Parse("2001:db8:1234::5"), 443, nameAllowed: false));
        Assert.False(policy.AllowsAddress(IPAddress.Parse("2001:db8::1"), 80, nameAllowed: false));
        Assert.False(policy.AllowsAddress(IPAddress.Parse("2001:db9::1"), 443, nameAllowed: false));
        Assert.True(policy.AllowsAddress(IPAddress.Parse("2001:db8:ffff::1"), 22, nameAllowed: false));
    }

    [Fact]
    public void Ipv6_deny_in_bracket_form_wins()
    {
        var policy = Policy(["*:*"], ["[2001:db8::/32]:*"]);

        Assert.False(policy.AllowsAddress(IPAddress.Parse("2001:db8::1"), 443, nameAllowed: false));
        Assert.True(policy.AllowsAddress(IPAddress.Parse("2606:4700::1111"), 443, nameAllowed: false));
    }

    [Theory]
    [InlineData("example.com")]
    [InlineData("example.com:")]
    [InlineData(":443")]
    [InlineData("example.com:0")]
    [InlineData("example.com:65536")]
    [InlineData("example.com:443-80")]
    [InlineData("example.com:https")]
    [InlineData("10.0.0.0/33:*")]
    [InlineData("10.0.0.0/8")]
    [InlineData("[2001:db8::/129]:443")]
    [InlineData("bad host:443")]
    [InlineData("*.*.example.com:443")]
    [InlineData("exa*mple.com:443")]
    [InlineData("")]
    public void Malformed_entries_are_reported_with_their_field(string entry)
    {
        var errors = new List<ConfigError>();

        Assert.Null(DestinationPolicy.Compile(new DestinationsConfig { Allow = ["example.org:443", entry] }, "Action.Destinations", Context(errors)));

        var error = Assert.Single(errors);
        Assert.Equal(("r1", "Action.Destinations.Allow[1]"), (error.RouteId, error.Field));
    }

    [Fact]
    public void Every_malformed_entry_of_allow_and_deny_is_reported()
    {
        var errors = new List<ConfigError>();

        Assert.Null(DestinationPolicy.Compile(new DestinationsConfig { Allow = ["nope", "*:443", "bad"], Deny = ["10.0.0.0/99:*"] }, "Action.Destinations", Context(errors)));

        Assert.Equal(["Action.Destinations.Allow[0]", "Action.Destinations.Allow[2]", "Action.Destinations.Deny[0]"], errors.Select(e => e.Field));
    }

    [Fact]
    public void Missing_destinations_section_compiles_to_a_policy_that_admits_nothing()
    {
        var errors = new List<ConfigError>();

        var policy = DestinationPolicy.Compile(null, "Action.Destinations", Context(errors));

        Assert.Empty(errors);
        Assert.NotNull(policy);
        Assert.False(policy.AllowsName("example.com", 443));
        Assert.False(policy.AllowsAddress(IPAddress.Parse("93.184.216.34"), 443, nameAllowed: false));
    }

    internal static DestinationPolicy Policy(string[] allow, string[]? deny = null)
    {
        var errors = new List<ConfigError>();
        var policy = DestinationPolicy.Compile(new DestinationsConfig { Allow = allow, Deny = deny ?? [] }, "Action.Destinations", Context(errors));
        Assert.Empty(errors);
        return policy ?? throw new InvalidOperationException("No policy and no error.");
    }

    private static RouteActionContext Context(List<ConfigError> errors) => new()
    {
        RouteId = "r1",
        Route = new RouteConfig { Id = "r1", Action = new RouteActionConfig { Type = "Connect" } },
        Limits = EffectiveLimits.Defaults,
        Certificates = new Dictionary<string, Proxy.Tls.ServerCertificate>(StringComparer.OrdinalIgnoreCase),
        Users = UserDirectory.Compile([], errors),
        RelayPools = new Dictionary<string, IEgress>(StringComparer.OrdinalIgnoreCase),
        RelayKeepAlive = (TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(60)),
        DnsRefresh = TimeSpan.FromSeconds(30),
        Errors = errors,
    };
}
