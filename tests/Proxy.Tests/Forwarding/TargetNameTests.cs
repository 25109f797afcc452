using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.Logging;
using Proxy.Tests.Infrastructure;
using Proxy.Tests.Udp;
using Proxy.Udp;
using static Proxy.Tests.Infrastructure.TestRoutes;
using static Proxy.Tests.Udp.UdpRoutes;

namespace Proxy.Tests.Forwarding;

/// <summary>Lookups are counted process-wide (by name), so these run alone: other tests resolve <c>localhost</c> too.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DnsLookupCountGroup
{
    public const string Name = "DNS lookups counted (runs alone)";
}

/// <summary>Forward targets named by host, with the machine's own resolver (<c>localhost</c> from /etc/hosts).</summary>
[Collection(DnsLookupCountGroup.Name)]
public sealed class TargetNameTests
{
    private const string Unresolvable = "no-such-target.invalid";

    [Fact]
    public async Task A_tcp_target_name_is_looked_up_once_not_for_every_connection()
    {
        const string Host = "localhost";
        using var lookups = new DnsLookups(Host);
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Routes(Forward("named", port, $"{Host}:{backend.Port}")));

        // Looked up when the route was compiled, before any client.
        await proxy.Logs.WaitForAsync(e => e.Message == $"Route named: target host {Host} resolves to 127.0.0.1");
        for (var i = 0; i < 5; i++)
        {
            using var client = await TestClient.ConnectAsync(port);
            await client.AssertEchoesAsync($"connection {i}");
        }

        Assert.Equal(5, backend.Accepted);
        Assert.Equal(1, lookups.Count);
    }

    [Fact]
    public async Task A_tcp_target_name_that_does_not_resolve_is_skipped_for_the_next_target_and_warned_about_once()
    {
        await using var backend = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Routes(Forward("named", port, $"{Unresolvable}:7", backend.Address)));

        for (var i = 0; i < 4; i++)
        {
            using var client = await TestClient.ConnectAsync(port);
            await client.AssertEchoesAsync($"connection {i}");
        }

        Assert.Equal(4, backend.Accepted);
        var warning = await proxy.Logs.WaitForAsync(e => e.Message.Contains($"target host {Unresolvable} did not resolve", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Single(proxy.Logs.Entries, e => e.Message.Contains($"target host {Unresolvable}", StringComparison.Ordinal));
        // HostNotFound where the resolver answers NXDOMAIN at once (as here); TimedOut where none answers.
        await proxy.Logs.WaitForAsync(e => e.Message.Contains($"connect to {Unresolvable}:7 failed (", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_udp_target_name_is_looked_up_once_for_every_flow()
    {
        const string Host = "localhost";
        using var lookups = new DnsLookups(Host);
        await using var backend = new UdpEchoServer();
        var port = UdpPorts.Free();
        await using var proxy = await ProxyTestHost.StartAsync(Section(UdpRoute("named", port, $"{Host}:{backend.Port}")));

        await proxy.Logs.WaitForAsync(e => e.Message == $"Route named: target host {Host} resolves to 127.0.0.1");
        for (var i = 1; i <= 3; i++)
        {
            using var client = new UdpTestClient(IPAddress.Parse($"127.0.0.{i}"));
            await client.AssertEchoesAsync(port, Payloads.Text($"flow {i}"));
        }

        Assert.Equal(1, lookups.Count);
        Assert.Equal(0, proxy.Metrics.UdpDrops(UdpDrop.TargetUnavailable));
    }

    [Fact]
    public async Task A_udp_target_name_that_does_not_resolve_drops_datagrams_as_target_unavailable_and_other_ports_carry_on()
    {
        await using var backend = new UdpEchoServer();
        var (dead, live) = (UdpPorts.Free(), UdpPorts.Free());
        await using var proxy = await ProxyTestHost.StartAsync(Section(
            UdpRoute("unresolved", dead, $"{Unresolvable}:53"), UdpRoute("live", live, backend.Address)));
        await proxy.Logs.WaitForAsync(e => e.Message.Contains($"target host {Unresolvable} did not resolve", StringComparison.Ordinal));

        using var client = new UdpTestClient();
        await client.AssertNoReplyAsync(dead, Payloads.Text("nowhere to go"));
        await client.AssertEchoesAsync(live, Payloads.Text("still served"));

        Assert.Equal(1, proxy.Metrics.UdpDrops(UdpDrop.TargetUnavailable));
    }

    /// <summary>Counts the runtime's name lookups of one name, as spelled (the <c>dns.lookup.duration</c> instrument of
    /// <c>System.Net.NameResolution</c>, recorded for every <c>Dns</c> lookup in the process).</summary>
    private sealed class DnsLookups : IDisposable
    {
        private readonly MeterListener _listener = new();
        private int _count;

        public DnsLookups(string name)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument is { Name: "dns.lookup.duration", Meter.Name: "System.Net.NameResolution" })
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag is { Key: "dns.question.name", Value: string asked } && asked == name)
                    {
                        Interlocked.Increment(ref _count);
                    }
                }
            });
            _listener.Start();
        }

        public int Count => Volatile.Read(ref _count);

        public void Dispose() => _listener.Dispose();
    }
}
