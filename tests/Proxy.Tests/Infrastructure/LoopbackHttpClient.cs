using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Proxy.Tests.Infrastructure;

/// <summary>An HttpClient whose connections all go to 127.0.0.1:<c>port</c> whatever the URL's host, so a test can use
/// real names (<c>https://a.example.test:port/</c>) as SNI and Host without DNS. It accepts any server certificate,
/// records the thumbprint of each one it is shown, counts the connections it opens and never follows redirects.</summary>
public sealed class LoopbackHttpClient : IDisposable
{
    private readonly ConcurrentQueue<string> _thumbprints = new();
    private int _connections;

    /// <param name="port">The proxy port every connection goes to.</param>
    /// <param name="version">The HTTP version to use exactly (HTTP/1.1 by default).</param>
    /// <param name="maxConnections">At most this many connections at once.</param>
    public LoopbackHttpClient(int port, Version? version = null, int maxConnections = int.MaxValue)
    {
        Handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            MaxConnectionsPerServer = maxConnections,
            ConnectTimeout = TestTimeouts.Io,
            ConnectCallback = async (_, cancellationToken) =>
            {
                Interlocked.Increment(ref _connections);
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        Handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            if (certificate is not null)
            {
                _thumbprints.Enqueue(certificate.GetCertHashString());
            }

            return certificate is not null;
        };

        Client = new HttpClient(Handler, disposeHandler: false)
        {
            DefaultRequestVersion = version ?? HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = TestTimeouts.Io,
        };
    }

    public HttpClient Client { get; }

    /// <summary>The handler, e.g. for <c>ClientWebSocket.ConnectAsync(uri, new HttpMessageInvoker(Handler), ...)</c>.</summary>
    public SocketsHttpHandler Handler { get; }

    /// <summary>Connections opened so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>SHA-1 thumbprints (as <c>X509Certificate2.Thumbprint</c> spells them) of the TLS server certificates seen, in order.</summary>
    public IReadOnlyCollection<string> ServerThumbprints => _thumbprints;

    public Task<HttpResponseMessage> GetAsync(string url) => Client.GetAsync(new Uri(url));

    /// <summary>Sends <paramref name="request"/>, asserts a 200 and returns what the <see cref="HttpBackend"/> saw.</summary>
    public async Task<BackendEcho> EchoAsync(HttpRequestMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var response = await Client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{request.Method} {request.RequestUri}: {(int)response.StatusCode} {body}");
        return JsonSerializer.Deserialize<BackendEcho>(body, JsonSerializerOptions.Web)
            ?? throw new InvalidDataException($"Not a backend echo: '{body}'.");
    }

    /// <summary>GETs <paramref name="url"/>, asserts a 200 and returns what the <see cref="HttpBackend"/> saw.</summary>
    public async Task<BackendEcho> GetEchoAsync(string url)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(url));
        return await EchoAsync(request);
    }

    public void Dispose()
    {
        Client.Dispose();
        Handler.Dispose();
    }
}
