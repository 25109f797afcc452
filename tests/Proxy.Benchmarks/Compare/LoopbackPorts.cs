using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Proxy.Benchmarks.Compare;

/// <summary>Free ports on 127.0.0.1, and the kernel's view of TCP and UDP sockets (/proc/net/tcp, /proc/net/udp) to know
/// when a server listens or how many connections it holds, without connecting to it.</summary>
internal static class LoopbackPorts
{
    private const string Listen = "0A";

    /// <summary>An unconnected UDP socket (bound, waiting for datagrams) shows as TCP_CLOSE in /proc/net/udp.</summary>
    private const string UdpUnconnected = "07";
    private static readonly string[] TcpFiles = ["/proc/net/tcp", "/proc/net/tcp6"];
    private static readonly string[] UdpFiles = ["/proc/net/udp", "/proc/net/udp6"];
    public const string Established = "01";
    public const string CloseWait = "08";
    private static readonly HashSet<int> Handed = [];

    /// <summary>A port nothing listens on now, never handed out twice by this run.</summary>
    public static int Free()
    {
        while (true)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)socket.LocalEndPoint!).Port;
            lock (Handed)
            {
                if (Handed.Add(port))
                {
                    return port;
                }
            }
        }
    }

    /// <summary>A port free for both TCP and UDP now (iperf3 -u uses the same number for its control connection and
    /// its datagrams), never handed out twice by this run.</summary>
    public static int FreeForTcpAndUdp()
    {
        while (true)
        {
            var port = Free();
            try
            {
                using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                udp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
                // Taken for UDP: try another number.
            }
        }
    }

    public static bool IsListening(int port) => Count(port, Listen) > 0;

    /// <summary>Whether an unconnected UDP socket is bound to <paramref name="port"/> (a server waiting for datagrams).</summary>
    public static bool IsUdpBound(int port) => Count(port, UdpUnconnected, files: UdpFiles) > 0;

    /// <summary>Established sockets whose local port is <paramref name="port"/>: the connections a server accepted.</summary>
    public static int EstablishedOn(int port) => Count(port, Established);

    /// <summary>Sockets in <paramref name="state"/> ("01" established, "08" close-wait) whose remote port is <paramref name="port"/>:
    /// a client's view of its connections to a server.</summary>
    public static int ToRemote(int port, string state) => Count(port, state, remote: true);

    /// <summary>The kernel's count of connections dropped because a listen queue was full (TcpExt ListenOverflows).</summary>
    public static long ListenOverflows()
    {
        var lines = File.ReadAllLines("/proc/net/netstat");
        for (var i = 0; i + 1 < lines.Length; i += 2)
        {
            var names = lines[i].Split(' ');
            var values = lines[i + 1].Split(' ');
            var index = Array.IndexOf(names, "ListenOverflows");
            if (names[0] == "TcpExt:" && index > 0)
            {
                return long.Parse(values[index], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    /// <summary>Waits until something listens on <paramref name="port"/> (with <paramref name="udp"/>: and a UDP socket is
    /// bound to it); false when <paramref name="process"/> died or time ran out.</summary>
    public static async Task<bool> WaitListeningAsync(int port, ExternalProcess? process, TimeSpan timeout, CancellationToken cancellation, bool udp = false)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (IsListening(port) && (!udp || IsUdpBound(port)))
            {
                return true;
            }

            if (process is { HasExited: true })
            {
                return false;
            }

            await Task.Delay(50, cancellation).ConfigureAwait(false);
        }

        return false;
    }

    private static int Count(int port, string state, bool remote = false, string[]? files = null)
    {
        var hexPort = port.ToString("X4", CultureInfo.InvariantCulture);
        var count = 0;
        foreach (var file in files ?? TcpFiles)
        {
            if (!File.Exists(file))
            {
                continue;
            }

            foreach (var line in File.ReadLines(file).Skip(1))
            {
                // "  sl  local_address rem_address   st ...": local is ADDR:PORT in hex, st the state (same layout for UDP).
                var fields = line.Split(' ', 5, StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length >= 4 && fields[3] == state && fields[remote ? 2 : 1].EndsWith(":" + hexPort, StringComparison.Ordinal))
                {
                    count++;
                }
            }
        }

        return count;
    }
}
