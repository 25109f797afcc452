using System.Net;
using System.Net.Sockets;
using Proxy.Destinations;
using Proxy.Tests.Infrastructure;

namespace Proxy.Tests.Destinations;

/// <summary>How Connect, Socks5 and Relay routes dial an allowed destination: a real echo backend on loopback.</summary>
public sealed class DestinationDialerTests
{
    [Fact]
    public async Task An_ipv4_destination_is_dialed_with_an_ipv4_socket_not_a_dual_mode_one()
    {
        await using var backend = TcpBackend.Echo();
        var policy = DestinationPolicyTests.Policy([$"127.0.0.1/32:{backend.Port}"]);

        var (socket, outcome) = await DestinationDialer.ConnectAsync("127.0.0.1", backend.Port, policy, TimeSpan.FromSeconds(10), CancellationToken.None);
        using var dialed = socket;

        Assert.Equal(DialOutcome.Connected, outcome);
        Assert.NotNull(dialed);
        Assert.Equal(AddressFamily.InterNetwork, dialed.AddressFamily);
        Assert.Equal(IPAddress.Loopback, ((IPEndPoint)dialed.LocalEndPoint!).Address);
        Assert.True(dialed.NoDelay);
        await dialed.AssertEchoesAsync("dialed");
    }
}
