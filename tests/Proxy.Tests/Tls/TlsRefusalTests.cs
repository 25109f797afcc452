using Proxy.Tests.Infrastructure;

namespace Proxy.Tests.Tls;

public sealed class TlsRefusalTests
{
    [Fact]
    public async Task Malformed_client_hello_gets_a_decode_error_alert_and_is_closed()
    {
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(new
        {
            Routes = new[] { new { Id = "sni", Match = new { Ports = new[] { TestRoutes.Port(port) }, Domains = new[] { "db.example.test" } }, Action = new { Type = "Block" } } },
        });

        using var client = await TestClient.ConnectAsync(port);
        // A handshake record whose body claims to be a ServerHello (type 2), which no client sends.
        await client.SendAsync(new byte[] { 0x16, 0x03, 0x01, 0x00, 0x04, 0x02, 0x00, 0x00, 0x00 }, System.Net.Sockets.SocketFlags.None);

        Assert.Equal(new byte[] { 21, 3, 3, 0, 2, 2, 50 }, await client.ReadToEndAsync());
        await proxy.Logs.WaitForConnectionAsync("InvalidClientHello");
    }
}
