using System.Net.Sockets;

namespace Proxy.Transport;

/// <summary>Lets the action that owns a connection stop using its pipes and relay the client socket directly (socket to
/// socket, large reads, a real half-close both ways), as HAProxy and nginx do once a stream is routed.</summary>
internal interface ISocketTakeoverFeature
{
    /// <summary>Ends the connection's pipes and returns its socket with the bytes the chain had read but not consumed
    /// (a peeked ClientHello, what followed a handshake); they go to the target first. False when the pipes cannot be
    /// given up any more (another layer wraps them, or a response is still unsent): relay through the pipes then. The
    /// socket stays the connection's: it is closed when the connection is disposed or aborted.</summary>
    bool TryTakeOver(out Socket socket, out ReadOnlyMemory<byte> buffered);
}
