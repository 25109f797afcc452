using System.Net.Security;
using System.Security.Authentication;
using Xunit;

namespace Proxy.Tests.Infrastructure;

/// <summary>Captures the exact ClientHello SslStream sends, by giving it a transport that records writes and answers the
/// first read with end of stream.</summary>
public sealed class ClientHelloCapture : TransportStream
{
    private readonly MemoryStream _written = new();

    public static SslClientAuthenticationOptions Options(string serverName, List<SslApplicationProtocol>? protocols) => new()
    {
        TargetHost = serverName,
        ApplicationProtocols = protocols,
    };

    /// <summary>The records that carried the ClientHello for <paramref name="serverName"/> (empty: no SNI).</summary>
    public static async Task<byte[]> CaptureAsync(string serverName, List<SslApplicationProtocol>? protocols = null)
    {
        using var capture = new ClientHelloCapture();
        using var tls = new SslStream(capture, leaveInnerStreamOpen: true);
        var error = await Record.ExceptionAsync(() => tls.AuthenticateAsClientAsync(Options(serverName, protocols)));
        Assert.True(error is IOException or AuthenticationException, $"Unexpected end of the capture: {error}");
        var hello = capture._written.ToArray();
        Assert.True(hello.Length > 5 && hello[0] == 0x16, "SslStream wrote no ClientHello.");
        return hello;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(0);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _written.Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _written.Dispose();
        }

        base.Dispose(disposing);
    }
}
