using System.Net;
using System.Net.Sockets;
using Proxy.Destinations;

namespace Proxy.Tests.Destinations;

/// <summary>How Connect, Socks5 and Relay routes dial an allowed destination: a real listener on loopback.</summary>
public sealed class DestinationDialerTests
{
    [Fact]
    public async Task An_ipv4_destination_is_dialed_with_an_ipv4_socket_not_a_dual_mode_one()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var policy = DestinationPolicyTests.Policy([$"127.0.0.1/32:{port}"]);

        var (socket, outcome) = await DestinationDialer.ConnectAsync("127.0.0.1", port, policy, TimeSpan.FromSeconds(10), CancellationToken.None);
        using var dialed = socket;
        using var accepted = await listener.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(DialOutcome.Connected, outcome);
        Assert.NotNull(dialed);
        Assert.Equal(AddressFamily.InterNetwork, dialed.AddressFamily);
        Assert.Equal(IPAddress.Loopback, ((IPEndPoint)dialed.LocalEndPoint!).Address);
        Assert.True(dialed.NoDelay);
    }
}
