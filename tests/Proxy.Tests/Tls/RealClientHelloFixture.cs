using System.Buffers;
using System.Net.Security;
using Proxy.Tests.Infrastructure;
using Proxy.Tls;
using Xunit;

namespace Proxy.Tests.Tls;

/// <summary>Captures, once per test class, the ClientHello that .NET's SslStream really sends.</summary>
public sealed class RealClientHelloFixture : IAsyncLifetime
{
    public const string TargetHost = "db.example.test";

    /// <summary>Exactly the records that carried the ClientHello.</summary>
    public byte[] Bytes { get; private set; } = [];

    public async Task InitializeAsync()
    {
        var hello = await ClientHelloCapture.CaptureAsync(TargetHost, [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11]);
        Assert.Equal(ClientHelloParseStatus.Complete, ClientHelloParser.TryParse(new ReadOnlySequence<byte>(hello), 65536, out var info));
        Bytes = hello[..info!.Length];
    }

    public Task DisposeAsync() => Task.CompletedTask;
}
