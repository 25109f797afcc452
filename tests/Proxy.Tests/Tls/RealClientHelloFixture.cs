using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Proxy.Tls;
using Xunit;

namespace Proxy.Tests.Tls;

/// <summary>Captures, once per test class, the ClientHello that .NET's SslStream really sends over loopback.</summary>
public sealed class RealClientHelloFixture : IAsyncLifetime
{
    public const string TargetHost = "db.example.test";

    /// <summary>Exactly the records that carried the ClientHello.</summary>
    public byte[] Bytes { get; private set; } = [];

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port, timeout.Token);
        using var server = await listener.AcceptTcpClientAsync(timeout.Token);

        // No certificate is ever checked: the fake server only reads the hello and then hangs up.
        using var tls = new SslStream(client.GetStream(), leaveInnerStreamOpen: false);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = TargetHost,
            ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
        };
        var handshake = tls.AuthenticateAsClientAsync(options, timeout.Token);

        var received = new MemoryStream();
        var chunk = new byte[4096];
        var network = server.GetStream();
        ClientHelloInfo? info;
        while (true)
        {
            int read = await network.ReadAsync(chunk, timeout.Token);
            if (read == 0)
            {
                throw new InvalidOperationException("SslStream closed before sending a whole ClientHello.");
            }

            received.Write(chunk, 0, read);
            var status = ClientHelloParser.TryParse(new ReadOnlySequence<byte>(received.ToArray()), 65536, out info);
            if (status == ClientHelloParseStatus.Complete)
            {
                break;
            }

            if (status != ClientHelloParseStatus.Incomplete)
            {
                throw new InvalidOperationException($"Capture stopped at {status}.");
            }
        }

        server.Close();
        try
        {
            await handshake;
        }
        catch (Exception ex) when (ex is IOException or AuthenticationException or OperationCanceledException or SocketException)
        {
            // Expected: the fake server hung up mid-handshake.
        }

        Bytes = received.ToArray()[..info!.Length];
    }

    public Task DisposeAsync() => Task.CompletedTask;
}
