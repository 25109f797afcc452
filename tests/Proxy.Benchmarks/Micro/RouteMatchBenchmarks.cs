using System.Globalization;
using System.Net;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Proxy.Configuration;
using Proxy.Forwarding;
using Proxy.Metrics;
using Proxy.Routing;

namespace Proxy.Benchmarks.Micro;

/// <summary>
/// <see cref="PortRoutes.Match"/> on one port holding 1,000 routes (500 exact domains, 500 one-label wildcards),
/// compiled by <see cref="ProxyConfigCompiler"/> as the running proxy compiles them. Runs once per connection and
/// must allocate nothing.
/// </summary>
[MemoryDiagnoser]
public class RouteMatchBenchmarks
{
    private const int Port = 443;
    private const int RoutesPerKind = 500;
    private static readonly IPAddress Client = IPAddress.Parse("198.51.100.7");
    private PortRoutes _port = null!;

    [GlobalSetup]
    public void Setup()
    {
        var routes = new List<RouteConfig>(2 * RoutesPerKind);
        for (var i = 0; i < RoutesPerKind; i++)
        {
            routes.Add(Route($"exact-{i}", $"svc{i}.example.com"));
            routes.Add(Route($"wild-{i}", $"*.zone{i}.example.com"));
        }

        var compiler = new ProxyConfigCompiler([new ForwardActionFactory(NullLogger<ForwardAction>.Instance)], new ProxyMetrics());
        var snapshot = compiler.Compile(new ProxyOptions { Routes = routes }, 1, out var errors);
        if (snapshot is null || errors.Count > 0)
        {
            throw new InvalidOperationException(string.Join("; ", errors.Select(e => e.ToString())));
        }

        _port = snapshot.Ports[Port];
        if (_port.Routes.Count != 2 * RoutesPerKind || ExactLast() != "exact-499" || WildcardLast() != "wild-499"
            || ExactFirst() != "exact-0" || NoMatch() is not null || NoServerName() is not null)
        {
            throw new InvalidOperationException("The compiled routes do not match as expected.");
        }
    }

    [Benchmark(Baseline = true)]
    public string? ExactFirst() => _port.Match("svc0.example.com", [], Client)?.Id;

    [Benchmark]
    public string? ExactLast() => _port.Match("svc499.example.com", [], Client)?.Id;

    [Benchmark]
    public string? WildcardLast() => _port.Match("app.zone499.example.com", [], Client)?.Id;

    [Benchmark]
    public string? NoMatch() => _port.Match("nothing.example.org", [], Client)?.Id;

    [Benchmark]
    public string? NoServerName() => _port.Match(null, [], Client)?.Id;

    private static RouteConfig Route(string id, string domain) => new()
    {
        Id = id,
        Match = new RouteMatchConfig { Ports = [Port.ToString(CultureInfo.InvariantCulture)], Domains = [domain] },
        Action = new RouteActionConfig { Type = "Forward", Targets = ["127.0.0.1:8443"] },
    };
}
