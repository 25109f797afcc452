using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Proxy.Tests.Infrastructure;

/// <summary>An HTTP response head (and body, for refusals) as a CONNECT proxy sent it.</summary>
public sealed record ProxyResponse(string StatusLine, int Status, IReadOnlyDictionary<string, string> Headers, string Body)
{
    /// <summary>Parses <c>status line CRLF headers CRLF CRLF body</c>.</summary>
    public static ProxyResponse Parse(string text)
    {
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0)
        {
            throw new InvalidDataException($"Not a whole HTTP response head: '{text}'.");
        }

        var lines = text[..end].Split("\r\n");
        var parts = lines[0].Split(' ', 3);
        if (parts.Length < 2 || parts[0] != "HTTP/1.1" || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var status))
        {
            throw new InvalidDataException($"Not an HTTP/1.1 status line: '{lines[0]}'.");
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon]] = line[(colon + 1)..].Trim();
        }

        return new ProxyResponse(lines[0], status, headers, text[(end + 4)..]);
    }
}

/// <summary>Raw-socket CONNECT clients: the request written by hand, the answer read byte by byte so nothing after the
/// head is taken from the tunnel.</summary>
public static class ConnectClient
{
    public const string Established = "HTTP/1.1 200 Connection established\r\n\r\n";

    /// <summary><c>CONNECT target HTTP/1.1</c> with a Host header and, when given, Basic credentials.</summary>
    public static string Request(string target, string? user = ConnectRoutes.User, string? password = ConnectRoutes.Password)
    {
        var head = new StringBuilder().Append(CultureInfo.InvariantCulture, $"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\nUser-Agent: proxy-tests\r\n");
        if (user is not null)
        {
            head.Append(CultureInfo.InvariantCulture, $"Proxy-Authorization: {Basic(user, password ?? string.Empty)}\r\n");
        }

        return head.Append("\r\n").ToString();
    }

    public static string Basic(string user, string password)
        => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password));

    /// <summary>Connects to the proxy, asks for <paramref name="target"/> and returns the socket and the response head.
    /// On 200 the socket is the tunnel.</summary>
    public static async Task<(Socket Socket, string Head)> OpenAsync(int proxyPort, string target, string? user = ConnectRoutes.User,
        string? password = ConnectRoutes.Password, int? receiveBufferSize = null)
    {
        var socket = await TestClient.ConnectAsync(proxyPort, receiveBufferSize: receiveBufferSize);
        try
        {
            await socket.SendAsync(Request(target, user, password));
            return (socket, await ReadHeadAsync(socket));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Opens a tunnel and asserts the proxy answered exactly <c>200 Connection established</c>; a slow reader's
    /// small <paramref name="receiveBufferSize"/> is set before connecting (see <see cref="TestClient.ConnectAsync"/>).</summary>
    public static async Task<Socket> OpenTunnelAsync(int proxyPort, string target, int? receiveBufferSize = null)
    {
        var (socket, head) = await OpenAsync(proxyPort, target, receiveBufferSize: receiveBufferSize);
        if (head != Established)
        {
            var rest = await socket.ReadToEndTextAsync();
            socket.Dispose();
            Assert.Fail($"CONNECT {target} was answered '{head + rest}'.");
        }

        return socket;
    }

    /// <summary>Sends <paramref name="request"/> as is and reads everything until the proxy closes the connection.</summary>
    public static async Task<string> RefusedAsync(int proxyPort, string request)
    {
        using var socket = await TestClient.ConnectAsync(proxyPort);
        await socket.SendAsync(request);
        return await socket.ReadToEndTextAsync();
    }

    /// <summary>Reads up to and including the blank line that ends a response head, one byte at a time.</summary>
    public static async Task<string> ReadHeadAsync(Socket socket)
    {
        using var cts = new CancellationTokenSource(TestTimeouts.Io);
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await socket.ReceiveAsync(one, SocketFlags.None, cts.Token) == 0)
            {
                break;
            }

            head.Append((char)one[0]);
            if (head.Length > 16 * 1024)
            {
                throw new InvalidDataException("Response head too long.");
            }
        }

        return head.ToString();
    }
}
