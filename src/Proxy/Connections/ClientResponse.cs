using System.Net.Sockets;
using Microsoft.AspNetCore.Connections.Features;

namespace Proxy.Connections;

/// <summary>Writes protocol answers (CONNECT status lines, SOCKS replies) to the client. They go to the socket itself,
/// like the relay's target-to-client bytes, so nothing can overtake them.</summary>
internal static class ClientResponse
{
    public static async ValueTask<bool> SendAsync(ProxyConnection connection, ReadOnlyMemory<byte> bytes)
    {
        var context = connection.Context;
        try
        {
            if (context.Features.Get<IConnectionSocketFeature>()?.Socket is { } socket)
            {
                while (!bytes.IsEmpty)
                {
                    bytes = bytes[await socket.SendAsync(bytes, SocketFlags.None).ConfigureAwait(false)..];
                }

                return true;
            }

            var flush = await context.Transport.Output.WriteAsync(bytes).ConfigureAwait(false);
            return !flush.IsCompleted;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            return false;
        }
    }
}
