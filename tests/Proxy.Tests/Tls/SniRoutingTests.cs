using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Proxy.Tests.Infrastructure;
using Xunit;

namespace Proxy.Tests.Tls;

/// <summary>TLS passthrough routed by SNI, end to end: the real proxy on real Kestrel, real sockets, real TLS clients
/// (SslStream and openssl) and real TLS backends. The proxy holds no certificate, so every completed handshake
/// with a backend's certificate proves the session went through untouched.</summary>
public sealed class SniRoutingTests
{
    private const string DbName = "db.example.test";
    private const string WebName = "web.example.test";

    // RFC 8446 §6: alert record, TLS 1.2 record version, length 2, fatal, unrecognized_name (RFC 6066 §3).
    private static readonly byte[] UnrecognizedNameAlert = [21, 3, 3, 0, 2, 2, 112];

    [Fact]
    public async Task Each_server_name_reaches_its_own_backend_with_that_backends_certificate()
    {
        await using var pair = await DbAndWeb.StartAsync();
        var (db, web, port, proxy) = (pair.Db, pair.Web, pair.Port, pair.Proxy);

        Assert.NotEqual(db.Certificate.Thumbprint, web.Certificate.Thumbprint);
        await AssertReachesAsync(port, DbName, db);
        await AssertReachesAsync(port, WebName, web);

        Assert.Equal([DbName], db.ServerNames);
        Assert.Equal([WebName], web.ServerNames);
        var summary = await proxy.Logs.WaitForConnectionAsync("Completed", "db");
        Assert.Contains($" sni={DbName} target={db.Address} ", summary.Message, StringComparison.Ordinal);
        await proxy.Logs.WaitForConnectionAsync("Completed", "web");
    }

    [Fact]
    public async Task Exact_domain_beats_a_wildcard_that_also_matches()
    {
        await using var db = new TlsBackend("db", DbName);
        await using var wildcard = new TlsBackend("wildcard", WebName);
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Config(
            Route("wildcard", port, ["*.example.test"], wildcard.Address),
            Route("db", port, [DbName], db.Address)));

        await AssertReachesAsync(port, DbName, db);
        await AssertReachesAsync(port, "x.example.test", wildcard);
        Assert.Equal(1, db.Handshakes);
        Assert.Equal(1, wildcard.Handshakes);
    }

    [Fact]
    public async Task Server_name_is_matched_case_insensitively()
    {
        const string MixedCase = "DB.Example.Test";
        await using var db = new TlsBackend("db", DbName);
        await using var wildcard = new TlsBackend("wildcard", WebName);
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Config(
            Route("wildcard", port, ["*.example.test"], wildcard.Address),
            Route("db", port, [DbName], db.Address)));

        // The client really sends the mixed-case name, so the proxy (not SslStream) does the folding.
        var hello = await ClientHelloCapture.CaptureAsync(MixedCase);
        Assert.True(hello.AsSpan().IndexOf(Encoding.ASCII.GetBytes(MixedCase)) >= 0, "SslStream did not send the SNI as given.");

        await AssertReachesAsync(port, MixedCase, db);
        Assert.Equal(0, wildcard.Handshakes);
        var summary = await proxy.Logs.WaitForConnectionAsync("Completed", "db");
        Assert.Contains($" sni={DbName} ", summary.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wildcard_matches_one_label_only_and_an_unmatched_name_gets_an_unrecognized_name_alert()
    {
        const string TwoLabels = "a.b.example.test";
        await using var db = new TlsBackend("db", DbName);
        await using var wildcard = new TlsBackend("wildcard", WebName);
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Config(
            Route("wildcard", port, ["*.example.test"], wildcard.Address),
            Route("db", port, [DbName], db.Address)));

        await using (var client = await TlsClient.OpenAsync(port))
        {
            await Assert.ThrowsAsync<AuthenticationException>(() => client.HandshakeAsync(TwoLabels));
            var summary = await WaitForSummaryAsync(proxy, "NoRoute", client.LocalEndPoint);
            Assert.Contains(" route=- ", summary.Message, StringComparison.Ordinal);
            Assert.Contains($" sni={TwoLabels} ", summary.Message, StringComparison.Ordinal);
        }

        // The same refusal on the wire: exactly one fatal unrecognized_name alert, then the connection ends.
        var hello = await ClientHelloCapture.CaptureAsync(TwoLabels);
        using var raw = await TestClient.ConnectAsync(port);
        await raw.SendAsync(hello, SocketFlags.None);
        Assert.Equal(UnrecognizedNameAlert, await raw.ReadToEndAsync());
        await WaitForSummaryAsync(proxy, "NoRoute", raw.LocalEndPoint!);

        Assert.Equal(0, db.Handshakes);
        Assert.Equal(0, wildcard.Handshakes);
    }

    [Fact]
    public async Task Client_hello_split_into_one_byte_writes_is_routed()
    {
        await using var pair = await DbAndWeb.StartAsync();
        var (db, web, port, proxy) = (pair.Db, pair.Web, pair.Port, pair.Proxy);

        OneByteWriteStream? splitter = null;
        await using var client = await TlsClient.OpenAsync(port);
        await client.HandshakeAsync(WebName, wrap: network => splitter = new OneByteWriteStream(network));

        // NoDelay is on, so each of these writes left as its own segment.
        Assert.True(splitter!.Writes > 100, $"Only {splitter.Writes} writes.");
        Assert.Equal(web.Certificate.Thumbprint, client.SeenThumbprint);
        Assert.Equal(web.Greeting, await client.ReadLineAsync());
        Assert.Equal("one byte at a time\n", await client.ExchangeAsync("one byte at a time\n"));
        Assert.Equal(0, db.Handshakes);
    }

    [Fact]
    public async Task Client_hello_larger_than_4_KiB_is_routed()
    {
        await using var pair = await DbAndWeb.StartAsync();
        var (db, web, port, proxy) = (pair.Db, pair.Web, pair.Port, pair.Proxy);
        var protocols = ManyProtocols(40);
        var hello = await ClientHelloCapture.CaptureAsync(DbName, protocols);
        Assert.True(hello.Length > 4096, $"The ClientHello is only {hello.Length} bytes.");

        await using var client = await TlsClient.OpenAsync(port);
        await client.HandshakeAsync(DbName, protocols);

        Assert.Equal(db.Certificate.Thumbprint, client.SeenThumbprint);
        Assert.Equal(db.Greeting, await client.ReadLineAsync());
        Assert.Equal("big hello\n", await client.ExchangeAsync("big hello\n"));
        Assert.Equal(0, web.Handshakes);
    }

    [Fact]
    public async Task Client_hello_over_the_peek_limit_is_refused_while_a_normal_one_is_routed()
    {
        await using var db = new TlsBackend("db", DbName);
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Config(
            Route("db", port, [DbName], db.Address, limits: new { PeekMaxBytes = 1024 })));
        var protocols = ManyProtocols(20);
        Assert.True((await ClientHelloCapture.CaptureAsync(DbName, protocols)).Length > 1024);
        Assert.True((await ClientHelloCapture.CaptureAsync(DbName)).Length < 1024);

        await using (var tooLarge = await TlsClient.OpenAsync(port))
        {
            var error = await Record.ExceptionAsync(() => tooLarge.HandshakeAsync(DbName, protocols));
            Assert.True(error is IOException or AuthenticationException, $"Expected a failed handshake, got {error}");
            await WaitForSummaryAsync(proxy, "PeekTooLarge", tooLarge.LocalEndPoint);
        }

        await AssertReachesAsync(port, DbName, db);
        Assert.Equal(1, db.Handshakes);
    }

    [Fact]
    public async Task Plain_text_on_an_sni_only_port_is_closed_without_waiting_for_the_peek_timeout()
    {
        await using var db = new TlsBackend("db", DbName);
        var port = TestClient.FreePort();
        // A peek timeout far beyond the client's read timeout: only an immediate decision lets this test pass.
        await using var proxy = await ProxyTestHost.StartAsync(ConfigWithLimits(
            new { PeekTimeout = "00:05:00" },
            Route("db", port, [DbName], db.Address)));

        using var client = await TestClient.ConnectAsync(port);
        var elapsed = Stopwatch.StartNew();
        await client.SendAsync("GET / HTTP/1.1\r\nHost: db.example.test\r\n\r\n");

        await AssertClosedAsync(client);
        Assert.True(elapsed.Elapsed < TimeSpan.FromSeconds(10), $"Closed after {elapsed.Elapsed}.");
        await WaitForSummaryAsync(proxy, "NotTls", client.LocalEndPoint!);
        Assert.Equal(0, db.Handshakes);
    }

    [Fact]
    public async Task Silent_client_on_an_sni_port_is_closed_after_the_peek_timeout()
    {
        await using var db = new TlsBackend("db", DbName);
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(ConfigWithLimits(
            new { PeekTimeout = "00:00:01" },
            Route("db", port, [DbName], db.Address)));

        var elapsed = Stopwatch.StartNew();
        using var client = await TestClient.ConnectAsync(port);

        await AssertClosedAsync(client);
        Assert.InRange(elapsed.Elapsed, TimeSpan.FromSeconds(0.8), TimeSpan.FromSeconds(10));
        await WaitForSummaryAsync(proxy, "PeekTimeout", client.LocalEndPoint!);
        Assert.Equal(0, db.Handshakes);
    }

    [Fact]
    public async Task Non_tls_and_sni_less_clients_go_to_the_route_without_domains()
    {
        await using var db = new TlsBackend("db", DbName);
        await using var echo = TcpBackend.Echo();
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Config(
            Route("db", port, [DbName], db.Address),
            Route("plain", port, domains: null, echo.Address)));

        // Plain text: decided on the first byte, relayed to the domain-less route.
        using (var plain = await TestClient.ConnectAsync(port))
        {
            await plain.SendAsync("hello, not TLS\n");
            plain.Shutdown(SocketShutdown.Send);
            Assert.Equal("hello, not TLS\n", await plain.ReadToEndTextAsync());
            await WaitForSummaryAsync(proxy, "Completed", plain.LocalEndPoint!, "plain");
        }

        // A real ClientHello without SNI (SslStream sends none for an empty target host) comes back from the echo
        // byte for byte, so it reached the domain-less route intact.
        var hello = await ClientHelloCapture.CaptureAsync(string.Empty);
        Assert.True(hello.AsSpan().IndexOf("example.test"u8) < 0);
        using (var sniLess = await TestClient.ConnectAsync(port))
        {
            await sniLess.SendAsync(hello, SocketFlags.None);
            Assert.Equal(hello, await sniLess.ReadExactlyAsync(hello.Length));
            sniLess.Shutdown(SocketShutdown.Send);
            await sniLess.ReadToEndAsync();
            var summary = await WaitForSummaryAsync(proxy, "Completed", sniLess.LocalEndPoint!, "plain");
            Assert.Contains(" sni=- ", summary.Message, StringComparison.Ordinal);
        }

        Assert.Equal(2, echo.Accepted);
        await AssertReachesAsync(port, DbName, db);
    }

    [Fact]
    public async Task Garbage_client_hellos_are_refused_without_disturbing_a_concurrent_tls_connection()
    {
        await using var db = new TlsBackend("db", DbName);
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Config(Route("db", port, [DbName], db.Address)));
        var hello = await ClientHelloCapture.CaptureAsync(DbName);

        // Bogus: a handshake record header claiming 65535 bytes (over the 2^14 limit of RFC 8446 §5.1), then noise.
        var bogus = new byte[512];
        Random.Shared.NextBytes(bogus);
        bogus[0] = 0x16;
        bogus[1] = 0x03;
        bogus[2] = 0x01;
        bogus[3] = 0xFF;
        bogus[4] = 0xFF;
        var truncated = hello[..(hello.Length / 2)];
        var malformed = WithBrokenFirstExtension(hello);

        // A good connection is mid-session while the garbage arrives, and another one starts alongside it.
        await using var good = await TlsClient.OpenAsync(port);
        await good.HandshakeAsync(DbName);
        Assert.Equal(db.Greeting, await good.ReadLineAsync());

        var refusals = new[]
        {
            SendGarbageAsync(port, bogus, finish: false),
            SendGarbageAsync(port, truncated, finish: true),
            SendGarbageAsync(port, malformed, finish: false),
        };
        var alongside = AssertReachesAsync(port, DbName, db);
        var clients = await Task.WhenAll(refusals);
        await alongside;

        await WaitForSummaryAsync(proxy, "InvalidClientHello", clients[0]);
        await WaitForSummaryAsync(proxy, "ClientReset", clients[1]);
        await WaitForSummaryAsync(proxy, "InvalidClientHello", clients[2]);
        Assert.Equal("still here\n", await good.ExchangeAsync("still here\n"));
        await AssertReachesAsync(port, DbName, db);
        Assert.Equal(3, db.Handshakes);
    }

    [Fact]
    public async Task Openssl_s_client_handshakes_with_the_backend_through_the_proxy()
    {
        await using var pair = await DbAndWeb.StartAsync();
        var (db, web, port, proxy) = (pair.Db, pair.Web, pair.Port, pair.Proxy);

        var (exitCode, output) = await OpenSslClient.SClientAsync(port, DbName, "-brief");

        Assert.True(exitCode == 0, $"openssl exited with {exitCode}:\n{output}");
        Assert.Contains("CONNECTION ESTABLISHED", output, StringComparison.Ordinal);
        Assert.Contains($"CN={DbName}", output.Replace(" ", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        await db.WaitForHandshakesAsync(1);

        // Without -brief s_client prints the server certificate: it is the backend's, byte for byte.
        (exitCode, output) = await OpenSslClient.SClientAsync(port, WebName);

        Assert.True(exitCode == 0, $"openssl exited with {exitCode}:\n{output}");
        Assert.Equal(OpenSslClient.PemBody(web.Certificate.ExportCertificatePem()), OpenSslClient.PemBody(output));
        await web.WaitForHandshakesAsync(1);
        Assert.Equal(1, db.Handshakes);
        Assert.Equal([DbName], db.ServerNames);
        Assert.Equal([WebName], web.ServerNames);
    }

    private static async Task AssertReachesAsync(int port, string serverName, TlsBackend backend)
    {
        await using var client = await TlsClient.OpenAsync(port);
        await client.HandshakeAsync(serverName);
        Assert.Equal(backend.Certificate.Thumbprint, client.SeenThumbprint);
        Assert.Equal(backend.Greeting, await client.ReadLineAsync());
        var line = $"hello {serverName}\n";
        Assert.Equal(line, await client.ExchangeAsync(line));
    }

    /// <summary>Sends <paramref name="bytes"/> (then FIN when <paramref name="finish"/>) and checks the proxy hangs up.</summary>
    private static async Task<EndPoint> SendGarbageAsync(int port, byte[] bytes, bool finish)
    {
        using var client = await TestClient.ConnectAsync(port);
        await client.SendAsync(bytes, SocketFlags.None);
        if (finish)
        {
            client.Shutdown(SocketShutdown.Send);
        }

        await AssertClosedAsync(client);
        return client.LocalEndPoint!;
    }

    /// <summary>The proxy closed the connection, sending nothing or at most a TLS alert.</summary>
    private static async Task AssertClosedAsync(Socket client)
    {
        var received = await client.ReadToEndAsync();
        Assert.True(received.Length == 0 || received[0] == 21, $"Expected a close, got {Convert.ToHexString(received)}.");
    }

    private static Task<LogEntry> WaitForSummaryAsync(ProxyTestHost proxy, string reason, EndPoint client, string? routeId = null)
        => proxy.Logs.WaitForAsync(e => e.Message.StartsWith("Connection ", StringComparison.Ordinal)
            && e.Message.Contains($" client={client} ", StringComparison.Ordinal)
            && e.Message.EndsWith($" end={reason}", StringComparison.Ordinal)
            && (routeId is null || e.Message.Contains($" route={routeId} ", StringComparison.Ordinal)));

    /// <summary>Copies a single-record ClientHello and makes its first extension claim more bytes than the block holds.</summary>
    private static byte[] WithBrokenFirstExtension(byte[] hello)
    {
        var bytes = (byte[])hello.Clone();
        // RFC 8446 §4.1.2: record header (5), handshake header (4), legacy_version (2), random (32), then vectors.
        var offset = 5 + 4 + 2 + 32;
        offset += 1 + bytes[offset]; // legacy_session_id<0..32>
        offset += 2 + ((bytes[offset] << 8) | bytes[offset + 1]); // cipher_suites<2..2^16-2>
        offset += 1 + bytes[offset]; // legacy_compression_methods<1..2^8-1>
        offset += 2; // extensions<8..2^16-1> length; the first extension's type follows
        bytes[offset + 2] = 0xFF; // extension_data length
        bytes[offset + 3] = 0xF0;
        return bytes;
    }

    private static List<SslApplicationProtocol> ManyProtocols(int count)
    {
        var protocols = new List<SslApplicationProtocol>(count);
        for (var i = 0; i < count; i++)
        {
            protocols.Add(new SslApplicationProtocol($"x-padding-{i.ToString("D3", CultureInfo.InvariantCulture)}-{new string('p', 100)}"));
        }

        return protocols;
    }

    /// <summary>Two TLS backends behind one port, routed by SNI: the setup most of these tests share.</summary>
    private sealed class DbAndWeb : IAsyncDisposable
    {
        private DbAndWeb(TlsBackend db, TlsBackend web, int port, ProxyTestHost proxy) => (Db, Web, Port, Proxy) = (db, web, port, proxy);

        public TlsBackend Db { get; }

        public TlsBackend Web { get; }

        public int Port { get; }

        public ProxyTestHost Proxy { get; }

        public static async Task<DbAndWeb> StartAsync()
        {
            var db = new TlsBackend("db", DbName);
            var web = new TlsBackend("web", WebName);
            var port = TestClient.FreePort();
            var proxy = await ProxyTestHost.StartAsync(Config(Route("db", port, [DbName], db.Address), Route("web", port, [WebName], web.Address)));
            return new DbAndWeb(db, web, port, proxy);
        }

        public async ValueTask DisposeAsync()
        {
            await Proxy.DisposeAsync();
            await Web.DisposeAsync();
            await Db.DisposeAsync();
        }
    }

    private static object Config(params object[] routes) => new { BindAddress = "127.0.0.1", Routes = routes };

    private static object ConfigWithLimits(object limits, params object[] routes) => new { BindAddress = "127.0.0.1", Limits = limits, Routes = routes };

    /// <summary>A Forward route on <paramref name="port"/>; <paramref name="domains"/> null means a route without domains.</summary>
    private static Dictionary<string, object> Route(string id, int port, string[]? domains, string target, object? limits = null)
    {
        var match = new Dictionary<string, object> { ["Ports"] = new[] { port.ToString(CultureInfo.InvariantCulture) } };
        if (domains is not null)
        {
            match["Domains"] = domains;
        }

        var route = new Dictionary<string, object>
        {
            ["Id"] = id,
            ["Match"] = match,
            ["Action"] = new { Type = "Forward", Targets = new[] { target } },
        };
        if (limits is not null)
        {
            route["Limits"] = limits;
        }

        return route;
    }

    /// <summary>An SslStream client over a real socket that accepts any server certificate and records the one it saw.</summary>
    private sealed class TlsClient : IAsyncDisposable
    {
        private readonly Socket _socket;
        private SslStream? _tls;

        private TlsClient(Socket socket) => _socket = socket;

        public EndPoint LocalEndPoint => _socket.LocalEndPoint!;

        /// <summary>SHA-1 thumbprint (as <c>X509Certificate2.Thumbprint</c> spells it) of the certificate the server presented.</summary>
        public string? SeenThumbprint { get; private set; }

        public static async Task<TlsClient> OpenAsync(int port) => new(await TestClient.ConnectAsync(port));

        public async Task HandshakeAsync(string serverName, List<SslApplicationProtocol>? protocols = null, Func<Stream, Stream>? wrap = null)
        {
            var network = new NetworkStream(_socket, ownsSocket: false);
            _tls = new SslStream(wrap is null ? network : wrap(network), leaveInnerStreamOpen: false);
            var options = ClientHelloCapture.Options(serverName, protocols);
            options.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                SeenThumbprint = certificate?.GetCertHashString();
                return certificate is not null;
            };
            using var timeout = new CancellationTokenSource(TestTimeouts.Io);
            await _tls.AuthenticateAsClientAsync(options, timeout.Token);
        }

        /// <summary>Reads one line, newline included.</summary>
        public async Task<string> ReadLineAsync()
        {
            using var timeout = new CancellationTokenSource(TestTimeouts.Io);
            var line = new StringBuilder();
            var one = new byte[1];
            while (true)
            {
                if (await _tls!.ReadAsync(one, timeout.Token) == 0)
                {
                    throw new EndOfStreamException($"The server closed after '{line}'.");
                }

                line.Append((char)one[0]);
                if (one[0] == '\n')
                {
                    return line.ToString();
                }
            }
        }

        /// <summary>Sends a line to the echoing backend and reads what comes back.</summary>
        public async Task<string> ExchangeAsync(string line)
        {
            using var timeout = new CancellationTokenSource(TestTimeouts.Io);
            await _tls!.WriteAsync(Encoding.ASCII.GetBytes(line), timeout.Token);
            return await ReadLineAsync();
        }

        public async ValueTask DisposeAsync()
        {
            if (_tls is not null)
            {
                await _tls.DisposeAsync();
            }

            _socket.Dispose();
        }
    }

    /// <summary>Passes reads through and turns every write into one-byte writes, so (with NoDelay) a ClientHello
    /// reaches the proxy as hundreds of segments.</summary>
    private sealed class OneByteWriteStream(Stream inner) : WrappingStream(inner)
    {
        private int _writes;

        public int Writes => Volatile.Read(ref _writes);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            => Inner.ReadAsync(buffer, cancellationToken);

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            for (var i = 0; i < buffer.Length; i++)
            {
                await Inner.WriteAsync(buffer.Slice(i, 1), cancellationToken);
                Interlocked.Increment(ref _writes);
            }
        }
    }
}
