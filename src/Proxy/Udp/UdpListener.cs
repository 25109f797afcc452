using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Proxy.Connections;
using Proxy.Forwarding;
using Proxy.Metrics;
using Proxy.Routing;

namespace Proxy.Udp;

/// <summary>One UDP port: receives datagrams, keeps a flow per client address (a connected socket to the chosen target),
/// applies the ACL and flow caps per datagram source, and expires idle flows. Nothing is allocated per datagram: one
/// receive buffer and one <see cref="SocketAddress"/> are reused, and flows are found by address value.</summary>
internal sealed partial class UdpListener : IAsyncDisposable
{
    /// <summary>The largest UDP payload (65,535 minus the IPv4 and UDP headers).</summary>
    public const int MaxDatagram = 65_507 + 20;

    private static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromSeconds(60);

    private readonly Socket _socket;
    private readonly ConcurrentDictionary<SocketAddress, UdpFlow> _flows = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly ProxyMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Task _receiving;
    private readonly ITimer _sweeper;
    private volatile Route _route;
    private volatile AccessListPair _acl;
    private volatile EffectiveLimits _globalLimits;

    public UdpListener(UdpPortRoute port, ProxySnapshot snapshot, ProxyMetrics metrics, ILogger logger)
    {
        Port = port.Port;
        BindAddress = port.BindAddress;
        _route = port.Route;
        _acl = new AccessListPair(snapshot.Acl, port.Route.Acl);
        _globalLimits = snapshot.Limits;
        _metrics = metrics;
        _logger = logger;
        _socket = new Socket(port.BindAddress.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        if (port.BindAddress.Equals(IPAddress.IPv6Any))
        {
            _socket.DualMode = true;
        }

        _socket.Bind(new IPEndPoint(port.BindAddress, port.Port));
        _receiving = ReceiveAsync();
        _sweeper = TimeProvider.System.CreateTimer(static s => ((UdpListener)s!).Sweep(), this, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    public int Port { get; }

    public IPAddress BindAddress { get; }

    public Route Route => _route;

    public int Flows => _flows.Count;

    /// <summary>A reload that keeps the port: new flows use the new route; existing flows keep their target and route,
    /// except that flows of clients the new ACL refuses are closed at once.</summary>
    public void Update(UdpPortRoute port, ProxySnapshot snapshot)
    {
        _route = port.Route;
        _globalLimits = snapshot.Limits;
        var acl = _acl = new AccessListPair(snapshot.Acl, port.Route.Acl);
        foreach (var (key, flow) in _flows)
        {
            if (!Allowed(acl, port.Route, flow.ClientAddress))
            {
                Close(key, flow, CloseReason.Acl);
            }
        }
    }

    private static bool Allowed(AccessListPair acl, Route route, IPAddress address)
        => acl.IsAllowed(address) && (route.ClientIps.Count == 0 || route.ClientIps.Contains(address));

    private TimeSpan IdleTimeout => _route.Config.Limits?.IdleTimeout ?? DefaultIdleTimeout;

    private async Task ReceiveAsync()
    {
        var buffer = GC.AllocateUninitializedArray<byte>(MaxDatagram, pinned: true);
        var from = new SocketAddress(_socket.AddressFamily);
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            int read;
            try
            {
                read = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, from, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // e.g. ICMP errors reported on the listening socket; never fatal for the port.
            }

            try
            {
                if (_flows.TryGetValue(from, out var flow) || (flow = await OpenFlowAsync(from).ConfigureAwait(false)) is not null)
                {
                    await flow.SendAsync(buffer.AsMemory(0, read)).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One bad datagram or flow must never stop the port.
                Log.DatagramFailed(_logger, Port, ex);
            }
        }
    }

    /// <summary>A datagram from a new source: ACL, flow caps, then a socket to the target. Null means dropped (and counted).</summary>
    private async ValueTask<UdpFlow?> OpenFlowAsync(SocketAddress from)
    {
        var route = _route;
        var client = (IPEndPoint)(from.Family == AddressFamily.InterNetworkV6 ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0))
            .Create(from);
        var address = client.Address.IsIPv4MappedToIPv6 ? client.Address.MapToIPv4() : client.Address;
        if (!Allowed(_acl, route, address))
        {
            _metrics.CountUdpDrop(UdpDrop.Acl);
            return null;
        }

        // Flow caps are the route's (across all its ports, like TCP connections), else the global limits.
        var globalLimits = _globalLimits;
        var maxFlows = route.Limits.MaxConnections ?? globalLimits.MaxConnections!.Value;
        var maxPerClient = route.Limits.MaxConnectionsPerIp ?? globalLimits.MaxConnectionsPerIp!.Value;
        if (!route.Stats.TryOpen(maxFlows))
        {
            _metrics.CountUdpDrop(UdpDrop.FlowLimit);
            return null;
        }

        if (!route.Stats.Clients.TryAcquire(address, maxPerClient))
        {
            route.Stats.Close(0, 0, failed: false);
            _metrics.CountUdpDrop(UdpDrop.FlowLimit);
            return null;
        }

        var pool = ((ForwardAction)route.Action).Pool;
        var target = pool.Targets[pool.Start(address)];
        // A host name's last answer, never a lookup here: this is the port's receive loop. A name that has not resolved
        // (yet) drops the datagram; its lookup runs beside (see TargetAddresses).
        var endpoint = target.EndPoint
            ?? (target.Addresses!.Current() is { Length: > 0 } answer ? new IPEndPoint(answer[target.Addresses.Start(answer.Length)], target.Port) : null);
        var socket = endpoint is null ? null : await ConnectAsync(endpoint).ConfigureAwait(false);
        if (socket is null)
        {
            route.Stats.Clients.Release(address);
            route.Stats.Close(0, 0, failed: true);
            _metrics.CountUdpDrop(UdpDrop.TargetUnavailable);
            return null;
        }

        var key = new SocketAddress(from.Family, from.Size);
        from.Buffer.CopyTo(key.Buffer);
        var flow = new UdpFlow(route, key, client, socket, target.Address);
        _flows[key] = flow;
        _ = flow.ReceiveRepliesAsync(_socket);
        return flow;
    }

    private static async ValueTask<Socket?> ConnectAsync(IPEndPoint target)
    {
        var socket = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            await socket.ConnectAsync(target).ConfigureAwait(false);
            return socket;
        }
        catch (SocketException)
        {
            socket.Dispose();
            return null;
        }
    }

    private void Sweep()
    {
        var idle = (long)IdleTimeout.TotalMilliseconds;
        foreach (var (key, flow) in _flows)
        {
            if (flow.IdleMilliseconds >= idle)
            {
                Close(key, flow, CloseReason.IdleTimeout);
            }
        }
    }

    private void Close(SocketAddress key, UdpFlow flow, CloseReason reason)
    {
        if (!_flows.TryRemove(new KeyValuePair<SocketAddress, UdpFlow>(key, flow)))
        {
            return;
        }

        flow.Dispose();
        var route = flow.Route;
        route.Stats.Clients.Release(flow.ClientAddress);
        route.Stats.Close(flow.BytesIn, flow.BytesOut, failed: false);
        _metrics.CountClosed(reason);
        Log.FlowClosed(_logger, route.Id, Port, flow.ClientEndPoint, flow.TargetName, flow.DatagramsIn, flow.BytesIn, flow.DatagramsOut, flow.BytesOut,
            (long)Stopwatch.GetElapsedTime(flow.Started).TotalMilliseconds, reason);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _sweeper.DisposeAsync().ConfigureAwait(false);
        _socket.Dispose();
        await _receiving.ConfigureAwait(false);
        foreach (var (key, flow) in _flows)
        {
            Close(key, flow, CloseReason.ServerShutdown);
        }

        _stop.Dispose();
    }

    /// <summary>The global ACL and the route's own, swapped together.</summary>
    private sealed record AccessListPair(Networking.AccessList Global, Networking.AccessList? Route)
    {
        public bool IsAllowed(IPAddress address) => Global.IsAllowed(address) && (Route is null || Route.IsAllowed(address));
    }

    private static partial class Log
    {
        [LoggerMessage(2, LogLevel.Error, "UDP port {Port}: a datagram could not be forwarded")]
        public static partial void DatagramFailed(ILogger logger, int port, Exception exception);

        [LoggerMessage(1, LogLevel.Information,
            "UDP flow route={RouteId} port={Port} client={Client} target={Target} in={DatagramsIn}/{BytesIn} out={DatagramsOut}/{BytesOut} ms={DurationMs} end={Reason}")]
        public static partial void FlowClosed(ILogger logger, string routeId, int port, IPEndPoint client, string target,
            long datagramsIn, long bytesIn, long datagramsOut, long bytesOut, long durationMs, CloseReason reason);
    }
}
