using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Proxy.Routing;

namespace Proxy.Connections;

/// <summary>Per-connection state shared by the stages of the chain (stored as a connection feature, because the
/// middleware instances are shared by every connection) and summarised in one log line when it ends.</summary>
internal sealed class ProxyConnection(ConnectionContext context, ProxySnapshot snapshot, PortRoutes port, IPEndPoint peer)
{
    public ConnectionContext Context { get; } = context;

    /// <summary>The configuration this connection was accepted under; later swaps do not affect it.</summary>
    public ProxySnapshot Snapshot { get; } = snapshot;

    public PortRoutes Port { get; } = port;

    /// <summary>The socket peer: the client itself, or a load balancer that sent a PROXY header.</summary>
    public IPEndPoint Peer { get; } = peer;

    /// <summary>The real client: the PROXY header's source when a trusted peer sent one, else <see cref="Peer"/>.</summary>
    public IPEndPoint Client { get; set; } = peer;

    /// <summary>The address the client connected to (the PROXY header's destination when there was one).</summary>
    public IPEndPoint? LocalEndPoint { get; set; } = context.LocalEndPoint as IPEndPoint;

    public bool HasProxyHeader { get; set; }

    public string? ServerName { get; set; }

    public IReadOnlyList<string> ApplicationProtocols { get; set; } = [];

    /// <summary>A complete TLS ClientHello was read, so a refusal should be a TLS alert.</summary>
    public bool SentClientHello { get; set; }

    /// <summary>Why no route matched, when peeking already explains it (not TLS, timed out); otherwise <see cref="CloseReason.NoRoute"/>.</summary>
    public CloseReason? PeekFailure { get; set; }

    public Route? Route { get; set; }

    /// <summary>The rest of Kestrel's pipeline (its HTTP server), for actions that hand the connection on.</summary>
    public ConnectionDelegate? Next { get; set; }

    public string? Target { get; set; }

    /// <summary>The authenticated user of a Connect or Socks5 route.</summary>
    public string? User { get; set; }

    /// <summary>The SOCKS5 reply code sent to the client, if any.</summary>
    public byte? ReplyCode { get; set; }

    /// <summary>Bytes received from the client and sent to the target.</summary>
    public long BytesFromClient;

    /// <summary>Bytes received from the target and sent to the client.</summary>
    public long BytesToClient;

    /// <summary>Of the bytes above (either way), those the kernel moved with <c>splice(2)</c>.</summary>
    public long BytesSpliced;

    public CloseReason Reason { get; set; } = CloseReason.Completed;

    public long StartTimestamp { get; } = Stopwatch.GetTimestamp();

    /// <summary>Records why the connection is refused; the caller then returns, and Kestrel closes it.</summary>
    public void Refuse(CloseReason reason) => Reason = reason;
}
