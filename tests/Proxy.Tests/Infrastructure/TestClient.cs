using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Proxy.Tests.Infrastructure;

/// <summary>Raw-socket client helpers with generous timeouts.</summary>
public static class TestClient
{
    private static readonly HashSet<int> HandedOut = [];
    private static readonly (int Low, int Count) UnassignedRange = ReadUnassignedRange();
    private static int s_nextUnassigned = Random.Shared.Next(10_000);

    /// <param name="port">The loopback (or <paramref name="address"/>) port.</param>
    /// <param name="address">Default 127.0.0.1.</param>
    /// <param name="receiveBufferSize">A small receive buffer for a slow reader. Set before connecting: shrinking it on an
    /// open connection takes back window already offered, and the sender's retransmissions then back off for tens of
    /// seconds.</param>
    public static async Task<Socket> ConnectAsync(int port, IPAddress? address = null, int? receiveBufferSize = null)
    {
        address ??= IPAddress.Loopback;
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBufferSize is { } size)
        {
            socket.ReceiveBufferSize = size;
        }

        using var cts = new CancellationTokenSource(TestTimeouts.Io);
        await socket.ConnectAsync(new IPEndPoint(address, port), cts.Token);
        return socket;
    }

    public static Task SendAsync(this Socket socket, string text)
        => socket.SendAsync(Encoding.ASCII.GetBytes(text).AsMemory(), SocketFlags.None).AsTask();

    /// <summary>Reads until the peer half-closes (or resets: then returns what arrived).</summary>
    public static async Task<byte[]> ReadToEndAsync(this Socket socket)
    {
        using var cts = new CancellationTokenSource(TestTimeouts.Io);
        var result = new MemoryStream();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            int read;
            try
            {
                read = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            }
            catch (SocketException)
            {
                break;
            }

            if (read == 0)
            {
                break;
            }

            result.Write(buffer, 0, read);
        }

        return result.ToArray();
    }

    public static async Task<string> ReadToEndTextAsync(this Socket socket)
        => Encoding.ASCII.GetString(await socket.ReadToEndAsync());

    /// <summary>Reads exactly <paramref name="count"/> bytes.</summary>
    public static async Task<byte[]> ReadExactlyAsync(this Socket socket, int count)
    {
        using var cts = new CancellationTokenSource(TestTimeouts.Io);
        var buffer = new byte[count];
        var offset = 0;
        while (offset < count)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(offset), SocketFlags.None, cts.Token);
            if (read == 0)
            {
                throw new EndOfStreamException($"Peer closed after {offset} of {count} bytes.");
            }

            offset += read;
        }

        return buffer;
    }

    public static async Task<string> ReadTextAsync(this Socket socket, int count)
        => Encoding.ASCII.GetString(await socket.ReadExactlyAsync(count));

    /// <summary>Sends <paramref name="text"/> and asserts the same text comes back (through an echo route or backend).</summary>
    public static async Task AssertEchoesAsync(this Socket socket, string text)
    {
        await socket.SendAsync(text);
        Assert.Equal(text, await socket.ReadTextAsync(text.Length));
    }

    /// <summary>True when the proxy closes the connection without sending anything (FIN or RST).</summary>
    public static async Task<bool> IsClosedByPeerAsync(this Socket socket)
        => (await socket.ReadToEndAsync()).Length == 0;

    /// <summary>A port on 127.0.0.1 that refuses connections for as long as the returned socket lives: it is bound but
    /// not listening, so no other test running beside this one can start listening on it (a port merely found free
    /// can be).</summary>
    public static Socket RefusingPort(out int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        return socket;
    }

    /// <summary>A port on 127.0.0.1 that is free right now (bound then released), never the same one twice in this test
    /// run, and below the kernel's ephemeral range where it can: a port from bind(0) is an ephemeral one, which the
    /// kernel may hand out again, or give to a connection another test opens, before this test listens on it.</summary>
    public static int FreePort()
    {
        lock (HandedOut)
        {
            var (low, count) = UnassignedRange;
            for (var tries = 0; tries < count; tries++)
            {
                var port = low + (s_nextUnassigned++ % count);
                if (HandedOut.Add(port) && IsFree(port))
                {
                    return port;
                }
            }

            while (true)
            {
                using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                var port = ((IPEndPoint)probe.LocalEndPoint!).Port;
                if (HandedOut.Add(port))
                {
                    return port;
                }
            }
        }
    }

    /// <summary>Up to 10,000 ports just below the ephemeral range (net.ipv4.ip_local_port_range), none where the range
    /// starts low or cannot be read.</summary>
    private static (int Low, int Count) ReadUnassignedRange()
    {
        try
        {
            var first = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[0];
            var ephemeralLow = int.Parse(first, System.Globalization.CultureInfo.InvariantCulture);
            var low = Math.Max(ephemeralLow - 10_000, 10_000);
            return (low, Math.Max(ephemeralLow - low, 0));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return (0, 0);
        }
    }

    private static bool IsFree(int port)
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
