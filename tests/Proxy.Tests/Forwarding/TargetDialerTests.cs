using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Proxy.Forwarding;
using Proxy.Tests.Infrastructure;

namespace Proxy.Tests.Forwarding;

/// <summary>Dialing a target whose name has several addresses: real backends on 127.0.0.1 and 127.0.0.2 (same port), the
/// name's answer given by the test (the machine's resolver has no such name).</summary>
public sealed class TargetDialerTests
{
    private static readonly IPAddress First = IPAddress.Parse("127.0.0.1");
    private static readonly IPAddress Second = IPAddress.Parse("127.0.0.2");

    [Fact]
    public async Task Connections_to_a_name_with_two_addresses_alternate_between_them()
    {
        await using var first = TcpBackend.Echo();
        await using var second = TcpBackend.Echo(first.Port, Second);
        var target = Target(first.Port, First, Second);

        for (var i = 0; i < 6; i++)
        {
            await DialAndEchoAsync(target);
        }

        Assert.Equal(3, first.Accepted);
        Assert.Equal(3, second.Accepted);
    }

    [Fact]
    public async Task An_address_that_refuses_is_skipped_for_the_next_one_within_the_same_connect()
    {
        await using var first = TcpBackend.Echo();
        var target = Target(first.Port, Second, First); // nothing listens on 127.0.0.2

        for (var i = 0; i < 4; i++)
        {
            await DialAndEchoAsync(target);
        }

        Assert.Equal(4, first.Accepted);
    }

    [Fact]
    public async Task A_name_whose_addresses_all_refuse_reports_the_refusal()
    {
        using var refusing = TestClient.RefusingPort(out var port);
        var target = Target(port, First, Second);

        var (socket, error) = await TargetDialer.ConnectAsync(target, TestTimeouts.Io, CancellationToken.None);

        Assert.Null(socket);
        Assert.Equal(SocketError.ConnectionRefused, error);
    }

    [Fact]
    public async Task A_name_still_unanswered_when_the_connect_timeout_passes_times_out_and_a_cancelled_dial_is_aborted()
    {
        var never = new TaskCompletionSource<IPAddress[]>();
        var addresses = new TargetAddresses("r", "slow.test", TimeSpan.FromHours(1), NullLogger.Instance, (_, _) => never.Task);
        var target = new ForwardTarget("slow.test:80", 80, null, addresses);

        Assert.Equal((null, SocketError.TimedOut),
            await TargetDialer.ConnectAsync(target, TimeSpan.FromMilliseconds(200), CancellationToken.None).AsTask().WaitAsync(TestTimeouts.Io));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        Assert.Equal((null, SocketError.OperationAborted), await TargetDialer.ConnectAsync(target, TestTimeouts.Io, cancelled.Token));
    }

    private static ForwardTarget Target(int port, params IPAddress[] answer)
    {
        var addresses = new TargetAddresses("r", "multi.test", TimeSpan.FromHours(1), NullLogger.Instance, (_, _) => Task.FromResult(answer));
        return new ForwardTarget($"multi.test:{port}", port, null, addresses);
    }

    private static async Task DialAndEchoAsync(ForwardTarget target)
    {
        var (socket, error) = await TargetDialer.ConnectAsync(target, TestTimeouts.Io, CancellationToken.None);
        Assert.Equal(SocketError.Success, error);
        using (socket)
        {
            await socket!.AssertEchoesAsync("through the name");
        }
    }
}
