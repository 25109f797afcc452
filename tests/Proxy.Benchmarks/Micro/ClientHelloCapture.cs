using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Proxy.Tls;

namespace Proxy.Benchmarks.Micro;

/// <summary>Captures the ClientHello that .NET's SslStream really sends, so the parser is measured on real bytes.</summary>
internal static class ClientHelloCapture
{
    public static async Task<byte[]> CaptureAsync(string targetHost)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port, timeout.Token).ConfigureAwait(false);
        using var server = await listener.AcceptTcpClientAsync(timeout.Token).ConfigureAwait(false);

        // No certificate is ever checked: the fake server only reads the hello and then hangs up.
        using var tls = new SslStream(client.GetStream(), leaveInnerStreamOpen: false);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = targetHost,
            ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
        };
        var handshake = tls.AuthenticateAsClientAsync(options, timeout.Token);

        var received = new MemoryStream();
        var chunk = new byte[4096];
        var network = server.GetStream();
        while (true)
        {
            int read = await network.ReadAsync(chunk, timeout.Token).ConfigureAwait(false);
            if (read == 0)
            {
                throw new InvalidOperationException("SslStream closed before sending a whole ClientHello.");
            }

            received.Write(chunk, 0, read);
            var status = ClientHelloParser.TryParse(new ReadOnlySequence<byte>(received.ToArray()), 65536, out var info);
            if (status == ClientHelloParseStatus.Complete)
            {
                server.Close();
                await IgnoreHandshakeFailureAsync(handshake).ConfigureAwait(false);
                return received.ToArray()[..info!.Length];
            }

            if (status != ClientHelloParseStatus.Incomplete)
            {
                throw new InvalidOperationException($"Capture stopped at {status}.");
            }
        }
    }

    private static async Task IgnoreHandshakeFailureAsync(Task handshake)
    {
        try
        {
            await handshake.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or AuthenticationException or OperationCanceledException or SocketException)
        {
            // Expected: the fake server hung up mid-handshake.
        }
    }
}
