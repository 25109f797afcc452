using System.Text;
using Microsoft.Extensions.Configuration;
using Proxy.Configuration;
using Proxy.Hosting;

namespace Proxy.Tests.Configuration;

public sealed class ConfigurationBindingTests
{
    [Fact]
    public void Ports_given_as_json_numbers_and_as_strings_both_bind()
    {
        var options = ReadValid("""
            { "Proxy": { "Routes": [
              { "Id": "mixed", "Match": { "Ports": [ 443, "8443", "9000-9002", 7 ] },
                "Action": { "Type": "Forward", "Targets": [ "10.0.0.5:443" ] } }
            ] } }
            """);

        var route = Assert.Single(options.Routes);
        Assert.Equal(["443", "8443", "9000-9002", "7"], route.Match!.Ports);
    }

    [Fact]
    public void Full_proxy_section_binds_every_field()
    {
        var options = ReadValid("""
            { "Proxy": {
              "BindAddress": "127.0.0.1",
              "DnsRefresh": "00:00:10",
              "Acl": { "Allow": [ "127.0.0.0/8", "::1" ], "Deny": [ "127.0.0.2" ] },
              "Limits": { "MaxConnections": 100, "MaxConnectionsPerIp": 10, "PeekTimeout": "00:00:03",
                          "PeekMaxBytes": 16384, "ConnectTimeout": "00:00:05", "IdleTimeout": "01:00:00" },
              "ProxyProtocol": { "Mode": "Optional", "TrustedNetworks": [ "10.0.0.0/8" ] },
              "Ports": { "7100": { "BindAddress": "::1", "ProxyProtocol": { "Mode": "Required", "TrustedNetworks": [ "127.0.0.1/32" ] } } },
              "Routes": [
                { "Id": "db", "Priority": 5,
                  "Match": { "Ports": [ 7443 ], "Domains": [ "db.example.com" ], "ClientIps": [ "10.0.0.0/8" ], "Transport": "Tcp" },
                  "Action": { "Type": "Forward", "Targets": [ "10.0.0.5:5432", "[::1]:5432" ], "LoadBalancing": "LeastConnections",
                              "ProxyProtocol": "V2", "PassiveHealth": { "MaxFailures": 2, "CoolDown": "00:00:30" } },
                  "Acl": { "Deny": [ "10.9.0.0/16" ] },
                  "Limits": { "IdleTimeout": "00:05:00" } },
                { "Id": "echo", "Match": { "Ports": [ 7100 ] }, "Action": { "Type": "Handler", "Handler": "echo" } }
              ]
            } }
            """);

        Assert.Equal("127.0.0.1", options.BindAddress);
        Assert.Equal(TimeSpan.FromSeconds(10), options.DnsRefresh);
        Assert.Equal(["127.0.0.0/8", "::1"], options.Acl!.Allow);
        Assert.Equal(["127.0.0.2"], options.Acl.Deny);
        Assert.Equal(100, options.Limits!.MaxConnections);
        Assert.Equal(10, options.Limits.MaxConnectionsPerIp);
        Assert.Equal(TimeSpan.FromSeconds(3), options.Limits.PeekTimeout);
        Assert.Equal(16384, options.Limits.PeekMaxBytes);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Limits.ConnectTimeout);
        Assert.Equal(TimeSpan.FromHours(1), options.Limits.IdleTimeout);
        Assert.Equal("Optional", options.ProxyProtocol!.Mode);
        Assert.Equal(["10.0.0.0/8"], options.ProxyProtocol.TrustedNetworks);
        var port = Assert.Single(options.Ports);
        Assert.Equal("7100", port.Key);
        Assert.Equal("::1", port.Value.BindAddress);
        Assert.Equal("Required", port.Value.ProxyProtocol!.Mode);
        Assert.Equal(["127.0.0.1/32"], port.Value.ProxyProtocol.TrustedNetworks);

        Assert.Equal(2, options.Routes.Count);
        var db = options.Routes[0];
        Assert.Equal("db", db.Id);
        Assert.Equal(5, db.Priority);
        Assert.Equal(["7443"], db.Match!.Ports);
        Assert.Equal(["db.example.com"], db.Match.Domains);
        Assert.Equal(["10.0.0.0/8"], db.Match.ClientIps);
        Assert.Equal("Tcp", db.Match.Transport);
        Assert.Equal("Forward", db.Action!.Type);
        Assert.Equal(["10.0.0.5:5432", "[::1]:5432"], db.Action.Targets);
        Assert.Equal("LeastConnections", db.Action.LoadBalancing);
        Assert.Equal("V2", db.Action.ProxyProtocol);
        Assert.Equal(2, db.Action.PassiveHealth!.MaxFailures);
        Assert.Equal(TimeSpan.FromSeconds(30), db.Action.PassiveHealth.CoolDown);
        Assert.Equal(["10.9.0.0/16"], db.Acl!.Deny);
        Assert.Empty(db.Acl.Allow);
        Assert.Equal(TimeSpan.FromMinutes(5), db.Limits!.IdleTimeout);
        Assert.Null(db.Limits.PeekTimeout);
        var echo = options.Routes[1];
        Assert.Null(echo.Priority);
        Assert.Null(echo.Acl);
        Assert.Null(echo.Limits);
        Assert.Equal("echo", echo.Action!.Handler);
        Assert.Empty(echo.Action.Targets);
    }

    [Fact]
    public void Keys_bind_case_insensitively()
    {
        var options = ReadValid("""
            { "proxy": { "routes": [ { "id": "pg", "match": { "ports": [ 5432 ] }, "action": { "type": "Forward", "targets": [ "db:5432" ] } } ] } }
            """);

        var route = Assert.Single(options.Routes);
        Assert.Equal("pg", route.Id);
        Assert.Equal(["5432"], route.Match!.Ports);
        Assert.Equal(["db:5432"], route.Action!.Targets);
    }

    [Fact]
    public void Environment_variable_style_keys_bind_like_json()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Proxy:Routes:0:Id"] = "pg",
                ["Proxy:Routes:0:Match:Ports:0"] = "5432",
                ["Proxy:Routes:0:Match:Ports:1"] = "6432",
                ["Proxy:Routes:0:Action:Type"] = "Forward",
                ["Proxy:Routes:0:Action:Targets:0"] = "10.0.0.5:5432",
                ["Proxy:Limits:IdleTimeout"] = "00:10:00",
            })
            .Build();

        var options = LiveConfiguration.Read(configuration, out var errors);

        Assert.Empty(errors);
        Assert.NotNull(options);
        Assert.Equal(["5432", "6432"], Assert.Single(options.Routes).Match!.Ports);
        Assert.Equal(TimeSpan.FromMinutes(10), options.Limits!.IdleTimeout);
    }

    [Fact]
    public void Missing_proxy_section_reads_as_no_routes()
    {
        var options = ReadValid("""{ "Serilog": { "MinimumLevel": "Information" } }""");

        Assert.Empty(options.Routes);
        Assert.Empty(options.Ports);
        Assert.Null(options.Acl);
    }

    [Fact]
    public void Unknown_key_in_an_action_is_an_error_not_silently_ignored()
    {
        var error = ReadInvalid("""
            { "Proxy": { "Routes": [
              { "Id": "pg", "Match": { "Ports": [ 5432 ] }, "Action": { "Type": "Forward", "Target": [ "10.0.0.5:5432" ] } }
            ] } }
            """);

        Assert.Contains("Target", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "Proxy": { "Rotues": [] } }""", "Rotues")]
    [InlineData("""{ "Proxy": { "Routes": [ { "Id": "a", "Match": { "Port": [ 80 ] } } ] } }""", "Port")]
    [InlineData("""{ "Proxy": { "Limits": { "IdleTimeOutSeconds": 30 } } }""", "IdleTimeOutSeconds")]
    [InlineData("""{ "Proxy": { "Ports": { "443": { "Bind": "127.0.0.1" } } } }""", "Bind")]
    [InlineData("""{ "Proxy": { "Acl": { "Allowed": [ "10.0.0.0/8" ] } } }""", "Allowed")]
    public void Unknown_key_anywhere_in_the_proxy_section_is_an_error(string json, string key)
    {
        var error = ReadInvalid(json);

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "Proxy": { "Routes": [ { "Id": "a", "Match": { "Ports": [ 443 ], "Domains": "db.example.com" } } ] } }""", "Domains")]
    [InlineData("""{ "Proxy": { "Routes": [ { "Id": "a", "Match": { "Ports": [ 443 ], "ClientIps": "10.0.0.0/8" } } ] } }""", "ClientIps")]
    [InlineData("""{ "Proxy": { "Acl": { "Allow": "10.0.0.0/8" } } }""", "Allow")]
    [InlineData("""{ "Proxy": { "Routes": [ { "Id": "a", "Action": "Forward" } ] } }""", "Action")]
    public void Single_value_where_a_list_or_section_is_expected_is_an_error(string json, string field)
    {
        // Silently binding these as empty would turn a domain- or client-restricted route, or an allow list, into "anyone".
        var error = ReadInvalid(json);

        Assert.Contains(field, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("5 seconds")]
    [InlineData("5s")]
    [InlineData("soon")]
    [InlineData("00:00:99")]
    public void Unparseable_TimeSpan_is_an_error_not_silently_ignored(string value)
    {
        var error = ReadInvalid($$"""{ "Proxy": { "Limits": { "PeekTimeout": "{{value}}" } } }""");

        Assert.Contains("PeekTimeout", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unparseable_TimeSpan_inside_a_route_is_an_error()
    {
        var error = ReadInvalid("""
            { "Proxy": { "Routes": [
              { "Id": "pg", "Match": { "Ports": [ 5432 ] }, "Action": { "Type": "Forward", "Targets": [ "db:5432" ] },
                "Limits": { "IdleTimeout": "one hour" } }
            ] } }
            """);

        Assert.Contains("IdleTimeout", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "Proxy": { "Limits": { "MaxConnections": "lots" } } }""", "MaxConnections")]
    [InlineData("""{ "Proxy": { "Limits": { "PeekMaxBytes": 99999999999 } } }""", "PeekMaxBytes")]
    [InlineData("""{ "Proxy": { "Routes": [ { "Id": "a", "Priority": "high" } ] } }""", "Priority")]
    public void Unparseable_number_is_an_error(string json, string field)
    {
        var error = ReadInvalid(json);

        Assert.Contains(field, error.Message, StringComparison.Ordinal);
    }

    private static ProxyOptions ReadValid(string json)
    {
        ProxyOptions? options = null;
        IReadOnlyList<ConfigError> errors = [];

        var exception = Record.Exception(() => options = LiveConfiguration.Read(Json(json), out errors));

        Assert.Null(exception);
        Assert.Empty(errors);
        Assert.NotNull(options);
        return options;
    }

    private static ConfigError ReadInvalid(string json)
    {
        ProxyOptions? options = null;
        IReadOnlyList<ConfigError> errors = [];

        var exception = Record.Exception(() => options = LiveConfiguration.Read(Json(json), out errors));

        Assert.Null(exception);
        Assert.Null(options);
        var error = Assert.Single(errors);
        Assert.Null(error.RouteId);
        Assert.Equal(ProxyOptions.SectionName, error.Field);
        return error;
    }

    private static IConfiguration Json(string json)
        => new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
}
