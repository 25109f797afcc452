using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace Proxy.Tests.Infrastructure;

/// <summary>One TLS connection carrying hand-written HTTP/1.1 requests, so a test controls exactly which Host header
/// each request on the same connection carries (an HttpClient derives it from the URL and pools connections).</summary>
public sealed class RawHttpConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly SslStream _tls;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    private RawHttpConnection(Socket socket, SslStream tls)
    {
        _socket = socket;
        _tls = tls;
    }

    /// <summary>Thumbprint of the certificate the server presented.</summary>
    public string? ServerThumbprint { get; private set; }

    /// <summary>The ALPN protocol the server chose (empty when none).</summary>
    public SslApplicationProtocol NegotiatedProtocol => _tls.NegotiatedApplicationProtocol;

    /// <summary>Connects to 127.0.0.1:<paramref name="port"/> and completes a TLS handshake with SNI <paramref name="serverName"/>,
    /// offering <paramref name="protocols"/> by ALPN (the server must then pick <c>http/1.1</c> or none).</summary>
    public static async Task<RawHttpConnection> OpenTlsAsync(int port, string serverName, List<SslApplicationProtocol>? protocols = null)
    {
        var socket = await TestClient.ConnectAsync(port);
        var connection = new RawHttpConnection(socket, new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false));
        try
        {
            var options = new SslClientAuthenticationOptions
            {
                TargetHost = serverName,
                ApplicationProtocols = protocols,
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    connection.ServerThumbprint = certificate?.GetCertHashString();
                    return certificate is not null;
                },
            };
            using var timeout = new CancellationTokenSource(TestTimeouts.Io);
            await connection._tls.AuthenticateAsClientAsync(options, timeout.Token);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Sends one request with exactly the given Host header and reads its whole response.</summary>
    public async Task<RawHttpResponse> SendAsync(string method, string path, string host)
    {
        using var timeout = new CancellationTokenSource(TestTimeouts.Io);
        var request = $"{method} {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: proxy-tests\r\n\r\n";
        await _tls.WriteAsync(Encoding.ASCII.GetBytes(request), timeout.Token);
        await _tls.FlushAsync(timeout.Token);

        var statusLine = await ReadLineAsync(timeout.Token);
        var parts = statusLine.Split(' ', 3);
        if (parts.Length < 2 || !parts[0].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"Not an HTTP/1.x status line: '{statusLine}'.");
        }

        var status = int.Parse(parts[1], CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var line = await ReadLineAsync(timeout.Token); line.Length > 0; line = await ReadLineAsync(timeout.Token))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var (name, value) = (line[..colon].Trim(), line[(colon + 1)..].Trim());
            headers[name] = headers.TryGetValue(name, out var previous) ? previous + ", " + value : value;
        }

        var body = new MemoryStream();
        if (headers.TryGetValue("Transfer-Encoding", out var encoding) && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            while (true)
            {
                var sizeLine = await ReadLineAsync(timeout.Token);
                var size = int.Parse(sizeLine.Split(';')[0].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (size == 0)
                {
                    while ((await ReadLineAsync(timeout.Token)).Length > 0)
                    {
                        // Trailer fields: none are expected, none are kept.
                    }

                    break;
                }

                await ReadExactlyAsync(body, size, timeout.Token);
                await ReadLineAsync(timeout.Token);
            }
        }
        else if (headers.TryGetValue("Content-Length", out var length))
        {
            await ReadExactlyAsync(body, int.Parse(length, CultureInfo.InvariantCulture), timeout.Token);
        }

        return new RawHttpResponse(status, headers, Encoding.UTF8.GetString(body.GetBuffer(), 0, (int)body.Length));
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var end = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n"u8);
            if (end >= 0)
            {
                var line = Encoding.ASCII.GetString(_buffer, _start, end);
                _start += end + 2;
                return line;
            }

            await FillAsync(cancellationToken);
        }
    }

    private async Task ReadExactlyAsync(MemoryStream destination, int count, CancellationToken cancellationToken)
    {
        while (count > 0)
        {
            if (_start == _end)
            {
                await FillAsync(cancellationToken);
            }

            var take = Math.Min(count, _end - _start);
            destination.Write(_buffer, _start, take);
            _start += take;
            count -= take;
        }
    }

    private async Task FillAsync(CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            (_end, _start) = (_end - _start, 0);
        }

        if (_end == _buffer.Length)
        {
            throw new InvalidDataException("A response line is longer than the read buffer.");
        }

        var read = await _tls.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
        if (read == 0)
        {
            throw new EndOfStreamException("The server closed the connection mid-response.");
        }

        _end += read;
    }

    public async ValueTask DisposeAsync()
    {
        await _tls.DisposeAsync();
        _socket.Dispose();
    }
}
