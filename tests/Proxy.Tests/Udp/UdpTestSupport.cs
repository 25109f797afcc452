using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Proxy.Admin;
using Proxy.Tests.Infrastructure;

namespace Proxy.Tests.Udp;

/// <summary>UDP route objects in the shape of the <c>Proxy</c> section, and the section around them (every route port on
/// 127.0.0.1).</summary>
internal static class UdpRoutes
{
    /// <summary>A UDP Forward route; optional parts are left out of the JSON entirely when null.</summary>
    public static Dictionary<string, object> UdpRoute(
        string id, int port, string[] targets, object? limits = null, object? acl = null, string[]? clientIps = null, string? loadBalancing = null)
    {
        var match = new Dictionary<string, object> { ["Ports"] = new[] { TestRoutes.Port(port) }, ["Transport"] = "Udp" };
        if (clientIps is not null)
        {
            match["ClientIps"] = clientIps;
        }

        var action = new Dictionary<string, object> { ["Type"] = "Forward", ["Targets"] = targets };
        if (loadBalancing is not null)
        {
            action["LoadBalancing"] = loadBalancing;
        }

        var route = new Dictionary<string, object> { ["Id"] = id, ["Match"] = match, ["Action"] = action };
        if (limits is not null)
        {
            route["Limits"] = limits;
        }

        if (acl is not null)
        {
            route["Acl"] = acl;
        }

        return route;
    }

    public static Dictionary<string, object> UdpRoute(string id, int port, string target, object? limits = null)
        => UdpRoute(id, port, [target], limits);

    /// <summary>The same route on every port of <paramref name="ports"/>.</summary>
    public static Dictionary<string, object> OnPorts(this Dictionary<string, object> route, params int[] ports)
    {
        ((Dictionary<string, object>)route["Match"])["Ports"] = ports.Select(TestRoutes.Port).ToArray();
        return route;
    }

    /// <summary>The <c>Proxy</c> section: the routes, bound on 127.0.0.1, with an optional global ACL.</summary>
    public static Dictionary<string, object> SectionWithAcl(object? globalAcl, params object[] routes)
    {
        var section = new Dictionary<string, object> { ["BindAddress"] = "127.0.0.1", ["Routes"] = routes };
        if (globalAcl is not null)
        {
            section["Acl"] = globalAcl;
        }

        return section;
    }

    public static Dictionary<string, object> Section(params object[] routes) => SectionWithAcl(null, routes);
}

/// <summary>The admin API views the UDP tests read (loopback, no key).</summary>
internal static class UdpAdmin
{
    public static HttpClient Client(ProxyTestHost host)
        => new(new SocketsHttpHandler { UseProxy = false, ConnectTimeout = TestTimeouts.Io }) { BaseAddress = host.AdminUrl, Timeout = TestTimeouts.Io };

    public static async Task<IReadOnlyList<ListenerView>> ListenersAsync(ProxyTestHost host)
    {
        using var client = Client(host);
        var body = await client.GetStringAsync(new Uri("/api/listeners", UriKind.Relative));
        return JsonSerializer.Deserialize<ListenerView[]>(body, JsonSerializerOptions.Web) ?? throw new InvalidDataException($"Not a listener list: '{body}'.");
    }

    /// <summary>The UDP listener of <paramref name="port"/>; fails the test when there is none.</summary>
    public static async Task<ListenerView> UdpListenerAsync(ProxyTestHost host, int port)
    {
        var listeners = await ListenersAsync(host);
        return Assert.Single(listeners, l => l.Port == port && l.Transport == "udp");
    }

    public static async Task<string> MetricsAsync(ProxyTestHost host)
    {
        using var client = Client(host);
        return await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
    }
}

/// <summary>One <c>UDP flow ...</c> log line, parsed.</summary>
internal sealed partial record UdpFlowLog(
    string Route, int Port, string Client, string Target, long DatagramsIn, long BytesIn, long DatagramsOut, long BytesOut, long Milliseconds, string End)
{
    public static UdpFlowLog? TryParse(string message)
    {
        var m = Pattern().Match(message);
        if (!m.Success)
        {
            return null;
        }

        long N(string name) => long.Parse(m.Groups[name].Value, CultureInfo.InvariantCulture);
        return new UdpFlowLog(m.Groups["route"].Value, (int)N("port"), m.Groups["client"].Value, m.Groups["target"].Value,
            N("din"), N("bin"), N("dout"), N("bout"), N("ms"), m.Groups["end"].Value);
    }

    /// <summary>True when <paramref name="entry"/> is the flow line of <paramref name="client"/>.</summary>
    public static bool IsFlowOf(LogEntry entry, IPEndPoint client, string? end = null)
        => TryParse(entry.Message) is { } line && line.Client == client.ToString() && (end is null || line.End == end);

    /// <summary>Awaits the (next) flow line of <paramref name="client"/>, skipping <paramref name="seen"/>.</summary>
    public static async Task<(LogEntry Entry, UdpFlowLog Line)> WaitAsync(ProxyTestHost host, IPEndPoint client, string? end = null, LogEntry? seen = null)
    {
        var entry = await host.Logs.WaitForAsync(e => !ReferenceEquals(e, seen) && IsFlowOf(e, client, end));
        return (entry, TryParse(entry.Message)!);
    }

    [GeneratedRegex(@"^UDP flow route=(?<route>\S+) port=(?<port>\d+) client=(?<client>\S+) target=(?<target>\S+) in=(?<din>\d+)/(?<bin>\d+) out=(?<dout>\d+)/(?<bout>\d+) ms=(?<ms>\d+) end=(?<end>\w+)$")]
    private static partial Regex Pattern();
}

/// <summary>Distinct, recognisable datagrams.</summary>
internal static class Payloads
{
    public static byte[] Text(string text) => Encoding.UTF8.GetBytes(text);

    public static byte[] Random(int length)
    {
        var bytes = new byte[length];
        System.Random.Shared.NextBytes(bytes);
        return bytes;
    }
}

/// <summary>A fact that runs only where <c>/usr/bin/dig</c> (dnsutils) is installed, and says so when skipped.</summary>
public sealed class DigFactAttribute : FactAttribute
{
    public const string DigPath = "/usr/bin/dig";

    public DigFactAttribute()
    {
        if (!File.Exists(DigPath))
        {
            Skip = $"{DigPath} is not installed (apt-get install dnsutils); the raw DNS query test covers the route without it.";
        }
    }
}
