using System.Buffers;
using Microsoft.AspNetCore.Connections;

namespace Proxy.Handlers;

/// <summary>The built-in <c>echo</c> handler: sends every byte back until the client half-closes (RFC 862).</summary>
public sealed class EchoHandler : IConnectionRouteHandler
{
    public string Name => "echo";

    public async Task HandleAsync(ConnectionContext connection, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var input = connection.Transport.Input;
        var output = connection.Transport.Output;
        while (true)
        {
            var result = await input.ReadAsync(stopping).ConfigureAwait(false);
            var buffer = result.Buffer;
            foreach (var segment in buffer)
            {
                output.Write(segment.Span);
            }

            input.AdvanceTo(buffer.End);
            var flush = await output.FlushAsync(stopping).ConfigureAwait(false);
            if (result.IsCompleted || flush.IsCompleted || (result.IsCanceled && stopping.IsCancellationRequested))
            {
                return;
            }
        }
    }
}
