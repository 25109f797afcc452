using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Connections.Features;
using Proxy.Connections;
using Proxy.Destinations;
using Proxy.Forwarding;
using Proxy.Transport;

namespace Proxy.Relay;

/// <summary>The ingress side of the relay: opens a tunnel through a healthy egress of the pool (round robin), failing
/// over to the next only before the tunnel is established, marking a failing egress down for a cool-down. No idle
/// sockets are pre-opened. An egress's refusal about the destination (403/502/504) is final and not retried.</summary>
internal sealed class RelayPool(string name, List<RelayEndpoint> endpoints, TimeSpan coolDown, TimeSpan connectTimeout,
    (TimeSpan Interval, TimeSpan Timeout) keepAlive) : IEgress
{
    private int _next = -1;

    public string Name { get; } = name;

    public async Task<(EgressTunnel? Tunnel, DialOutcome Outcome)> OpenAsync(string host, int port, CancellationToken cancellationToken)
    {
        var start = (int)((uint)Interlocked.Increment(ref _next) % (uint)endpoints.Count);
        for (var pass = 0; pass < 2; pass++)
        {
            var tried = false;
            for (var i = 0; i < endpoints.Count; i++)
            {
                var endpoint = endpoints[(start + i) % endpoints.Count];
                if (pass == 0 && !endpoint.IsHealthy)
                {
                    continue;
                }

                tried = true;
                var (socket, outcome, final) = await TryEndpointAsync(endpoint, host, port, cancellationToken).ConfigureAwait(false);
                if (socket is not null)
                {
                    endpoint.MarkUp();
                    return (new Tunnel(socket, $"{HostPort.Format(host, port)} via {endpoint.Url}"), DialOutcome.Connected);
                }

                if (final || cancellationToken.IsCancellationRequested)
                {
                    return (null, outcome);
                }

                endpoint.MarkDown(coolDown);
            }

            if (tried)
            {
                break; // Every healthy egress failed; the second pass is only for when none was healthy.
            }
        }

        return (null, DialOutcome.Failed);
    }

    private async Task<(ClientWebSocket? Socket, DialOutcome Outcome, bool Final)> TryEndpointAsync(
        RelayEndpoint endpoint, string host, int port, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol(RelayProtocol.SubProtocol);
        socket.Options.SetRequestHeader("Authorization", "Bearer " + endpoint.Token);
        socket.Options.SetRequestHeader(RelayProtocol.DestinationHeader, HostPort.Format(host, port));
        socket.Options.KeepAliveInterval = keepAlive.Interval;
        socket.Options.KeepAliveTimeout = keepAlive.Timeout;
        socket.Options.CollectHttpResponseDetails = true;
        if (endpoint.AcceptAnyCertificate)
        {
            // An explicit, per-endpoint opt-in named "Dangerous..." for self-signed test nodes.
#pragma warning disable CA5359
            socket.Options.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
#pragma warning restore CA5359
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(connectTimeout);
        try
        {
            await socket.ConnectAsync(endpoint.Url, cts.Token).ConfigureAwait(false);
            return (socket, DialOutcome.Connected, true);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or HttpRequestException)
        {
            var status = socket.HttpStatusCode;
            var error = socket.HttpResponseHeaders?.TryGetValue(RelayProtocol.ErrorHeader, out var values) == true ? values.FirstOrDefault() : null;
            socket.Dispose();
            // The egress answered about the destination: that answer stands. Anything else (down, auth, overloaded) fails over.
            return status is HttpStatusCode.Forbidden or HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout && error is not null
                ? (null, RelayProtocol.Outcome(error), true)
                : (null, DialOutcome.Failed, false);
        }
    }

    private sealed class Tunnel(ClientWebSocket socket, string description) : EgressTunnel
    {
        public override string Description => description;

        public override Task<CloseReason> RelayAsync(ProxyConnection connection, TimeSpan idleTimeout, CancellationToken shutdown)
        {
            var features = connection.Context.Features;
            Func<IdleTimer, Task<CopyResult>> upstream;
            Socket client;
            if (features.Get<ISocketTakeoverFeature>() is { } takeover && takeover.TryTakeOver(out client, out var buffered))
            {
                // Straight from the client socket in 64 KiB messages, the bytes the handshake read ahead first.
                upstream = idle => WebSocketPump.SocketToWebSocketAsync(client, buffered, socket, idle, n => Interlocked.Add(ref connection.BytesFromClient, n));
            }
            else
            {
                client = features.Get<IConnectionSocketFeature>()?.Socket
                    ?? throw new InvalidOperationException("Relay tunnels need a socket transport.");
                upstream = idle => WebSocketPump.PipeToWebSocketAsync(connection.Context.Transport.Input, socket, idle, n => Interlocked.Add(ref connection.BytesFromClient, n));
            }

            return WebSocketTunnel.RunAsync(
                socket,
                upstream,
                idle => WebSocketPump.WebSocketToSocketAsync(socket, client, idle, n => Interlocked.Add(ref connection.BytesToClient, n)),
                idleTimeout,
                shutdown);
        }

        public override ValueTask DisposeAsync()
        {
            socket.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
