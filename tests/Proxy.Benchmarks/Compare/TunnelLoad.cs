using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Proxy.Benchmarks.Compare;

/// <summary><c>tunnels plain|http|socks5 PROXYPORT TARGETPORT SECONDS CONCURRENCY</c>: the setup-rate load of the tunnel
/// measure, run as a child process on the load core. CONCURRENCY workers each loop for SECONDS: connect to
/// 127.0.0.1:PROXYPORT, open a tunnel to 127.0.0.1:TARGETPORT (<see cref="TunnelProtocol"/>; plain: the route's own
/// target), send one <c>GET / HTTP/1.1</c> with <c>Connection: close</c> through it, read the answer to its end and
/// close. Prints one JSON line (<see cref="TunnelCounts"/>).</summary>
internal static class TunnelLoad
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly byte[] Get = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"u8.ToArray();
    private static readonly byte[] Body = Encoding.ASCII.GetBytes(NginxHttpBackend.Body);

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        if (args.Count != 5
            || !Enum.TryParse<TunnelProtocol>(args[0], ignoreCase: true, out var protocol)
            || !int.TryParse(args[1], NumberStyles.None, CultureInfo.InvariantCulture, out var proxyPort)
            || !int.TryParse(args[2], NumberStyles.None, CultureInfo.InvariantCulture, out var targetPort)
            || !int.TryParse(args[3], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || !int.TryParse(args[4], NumberStyles.None, CultureInfo.InvariantCulture, out var concurrency))
        {
            await Console.Error.WriteLineAsync("usage: tunnels plain|http|socks5 PROXYPORT TARGETPORT SECONDS CONCURRENCY").ConfigureAwait(false);
            return 2;
        }

        var proxy = new IPEndPoint(IPAddress.Loopback, proxyPort);
        var tunnels = 0;
        var failures = 0;
        string? firstError = null;
        var clock = Stopwatch.StartNew();
        var end = TimeSpan.FromSeconds(seconds);

        async Task WorkerAsync()
        {
            var buffer = new byte[4096];
            while (clock.Elapsed < end)
            {
                try
                {
                    await OneAsync(proxy, protocol, targetPort, buffer).ConfigureAwait(false);
                    Interlocked.Increment(ref tunnels);
                }
                catch (Exception ex) when (ex is SocketException or IOException or InvalidDataException or OperationCanceledException)
                {
                    Interlocked.Increment(ref failures);
                    Interlocked.CompareExchange(ref firstError, $"{ex.GetType().Name}: {ex.Message}", null);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(WorkerAsync))).ConfigureAwait(false);
        var counts = new TunnelCounts(tunnels, tunnels / clock.Elapsed.TotalSeconds, failures, firstError);
        Console.WriteLine(JsonSerializer.Serialize(counts));
        return 0;
    }

    private static async Task OneAsync(IPEndPoint proxy, TunnelProtocol protocol, int targetPort, byte[] buffer)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var token = timeout.Token;
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(proxy, token).ConfigureAwait(false);
        switch (protocol)
        {
            case TunnelProtocol.Http:
                await HttpConnectAsync(socket, targetPort, buffer, token).ConfigureAwait(false);
                break;
            case TunnelProtocol.Socks5:
                await Socks5ConnectAsync(socket, targetPort, buffer, token).ConfigureAwait(false);
                break;
            case TunnelProtocol.Plain:
                break;
        }

        await socket.SendAsync(Get, SocketFlags.None, token).ConfigureAwait(false);
        var length = 0;
        while (await socket.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, token).ConfigureAwait(false) is var read and > 0)
        {
            length += read;
            if (length == buffer.Length)
            {
                throw new InvalidDataException($"the answer through the tunnel is over {buffer.Length} bytes: {Head(buffer, length)}");
            }
        }

        if (!buffer.AsSpan(0, length).StartsWith("HTTP/1.1 200 "u8) || !buffer.AsSpan(0, length).EndsWith(Body))
        {
            throw new InvalidDataException($"unexpected answer through the tunnel: {Head(buffer, length)}");
        }
    }

    private static async Task HttpConnectAsync(Socket socket, int targetPort, byte[] buffer, CancellationToken token)
    {
        var authority = string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{targetPort}");
        await socket.SendAsync(Encoding.ASCII.GetBytes($"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n"), SocketFlags.None, token).ConfigureAwait(false);

        // Nothing comes after the answer's head until the request goes through, so reading up to the blank line is exact.
        var length = 0;
        while (buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8) is var end && end < 0)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, token).ConfigureAwait(false);
            if (read == 0 || length + read == buffer.Length)
            {
                throw new InvalidDataException($"the CONNECT answer ended early or is too long: {Head(buffer, length)}");
            }

            length += read;
        }

        if (length < 12 || !buffer.AsSpan(0, 7).SequenceEqual("HTTP/1."u8) || !buffer.AsSpan(9, 3).SequenceEqual("200"u8))
        {
            throw new InvalidDataException($"CONNECT answered: {Head(buffer, length)}");
        }

        if (buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8) + 4 != length)
        {
            throw new InvalidDataException("bytes after the CONNECT answer before the request was sent");
        }
    }

    private static async Task Socks5ConnectAsync(Socket socket, int targetPort, byte[] buffer, CancellationToken token)
    {
        // Greeting: version 5, one method, 00 (no authentication); the answer must choose 00.
        await socket.SendAsync(new byte[] { 5, 1, 0 }, SocketFlags.None, token).ConfigureAwait(false);
        await ReadExactlyAsync(socket, buffer.AsMemory(0, 2), token).ConfigureAwait(false);
        if (buffer[0] != 5 || buffer[1] != 0)
        {
            throw new InvalidDataException($"SOCKS5 greeting answered {buffer[0]:x2} {buffer[1]:x2}");
        }

        // CONNECT, IPv4 127.0.0.1, the port in network order.
        var request = new byte[] { 5, 1, 0, 1, 127, 0, 0, 1, 0, 0 };
        BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(8), (ushort)targetPort);
        await socket.SendAsync(request, SocketFlags.None, token).ConfigureAwait(false);
        await ReadExactlyAsync(socket, buffer.AsMemory(0, 5), token).ConfigureAwait(false);
        if (buffer[0] != 5 || buffer[1] != 0)
        {
            throw new InvalidDataException($"SOCKS5 CONNECT replied {buffer[1]:x2}");
        }

        // The bound address: 4 or 16 bytes, or a name of the length in the fifth byte; then 2 of port. One is read already.
        var rest = buffer[3] switch
        {
            1 => 4 - 1 + 2,
            4 => 16 - 1 + 2,
            3 => buffer[4] + 2,
            _ => throw new InvalidDataException($"SOCKS5 reply with address type {buffer[3]:x2}"),
        };
        await ReadExactlyAsync(socket, buffer.AsMemory(0, rest), token).ConfigureAwait(false);
    }

    private static async Task ReadExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken token)
    {
        while (buffer.Length > 0)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, token).ConfigureAwait(false);
            if (read == 0)
            {
                throw new InvalidDataException("the proxy closed the connection during the handshake");
            }

            buffer = buffer[read..];
        }
    }

    private static string Head(byte[] buffer, int length) => Encoding.ASCII.GetString(buffer, 0, Math.Min(length, 80)).Split('\r')[0];
}
