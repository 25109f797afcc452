using System.Net.Sockets;
using Proxy.Connections;
using Proxy.Forwarding;

namespace Proxy.Destinations;

/// <summary>Dials destinations from this node, under the route's destination policy.</summary>
internal sealed class DirectEgress(DestinationPolicy policy, TimeSpan connectTimeout) : IEgress
{
    public async Task<(EgressTunnel? Tunnel, DialOutcome Outcome)> OpenAsync(string host, int port, CancellationToken cancellationToken)
    {
        var (socket, outcome) = await DestinationDialer.ConnectAsync(host, port, policy, connectTimeout, cancellationToken).ConfigureAwait(false);
        return socket is null ? (null, outcome) : (new SocketTunnel(socket, HostPort.Format(host, port)), DialOutcome.Connected);
    }

    private sealed class SocketTunnel(Socket socket, string description) : EgressTunnel
    {
        public override string Description => description;

        public override System.Net.IPEndPoint? BoundEndPoint => socket.LocalEndPoint as System.Net.IPEndPoint;

        public override Task<CloseReason> RelayAsync(ProxyConnection connection, TimeSpan idleTimeout, CancellationToken shutdown)
            => TcpRelay.RunAsync(connection, socket, idleTimeout, shutdown);

        public override ValueTask DisposeAsync()
        {
            socket.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
