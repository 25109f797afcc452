using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Proxy.Benchmarks.Compare;

/// <summary><c>hold PORT SECONDS</c>: the target of the idle-connection test, run as a child process (its own file
/// limit). Accepts on 127.0.0.1:PORT and holds every connection without sending; closes one when its client does;
/// exits after SECONDS at the latest.</summary>
internal static class HoldServer
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        if (args.Count != 2
            || !int.TryParse(args[0], NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || !int.TryParse(args[1], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            await Console.Error.WriteLineAsync("usage: hold PORT SECONDS").ConfigureAwait(false);
            return 2;
        }

        using var lifetime = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
        listener.Listen(4096);
        try
        {
            while (true)
            {
                var socket = await listener.AcceptAsync(lifetime.Token).ConfigureAwait(false);
                _ = HoldAsync(socket, lifetime.Token);
            }
        }
        catch (OperationCanceledException)
        {
            return 0;
        }
    }

    private static async Task HoldAsync(Socket socket, CancellationToken lifetime)
    {
        using (socket)
        {
            try
            {
                // A zero-byte read holds no buffer and completes when the client sends or closes; either ends the hold.
                await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, lifetime).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                // Reset or exiting: the socket is closed either way.
            }
        }
    }
}
