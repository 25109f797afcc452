using Proxy.Connections;

namespace Proxy.Destinations;

/// <summary>An open path to a destination (a TCP socket, or a WebSocket to an egress node) ready to relay bytes.</summary>
internal abstract class EgressTunnel : IAsyncDisposable
{
    /// <summary>What the summary log shows as the target, e.g. <c>example.com:443</c> or <c>example.com:443 via wss://edge/..</c>.</summary>
    public abstract string Description { get; }

    /// <summary>The local address of the connection to the destination, when this node dialed it (SOCKS5 BND.ADDR).</summary>
    public virtual System.Net.IPEndPoint? BoundEndPoint => null;

    /// <summary>Relays until both sides finish (half-close travels through), an error, or the idle timeout.</summary>
    public abstract Task<CloseReason> RelayAsync(ProxyConnection connection, TimeSpan idleTimeout, CancellationToken shutdown);

    public abstract ValueTask DisposeAsync();
}
