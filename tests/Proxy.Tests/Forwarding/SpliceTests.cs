using System.Net.Sockets;
using System.Security.Cryptography;
using Proxy.Tests.Infrastructure;
using static Proxy.Tests.Infrastructure.TestRoutes;

namespace Proxy.Tests.Forwarding;

/// <summary>Bulk streams through a Forward route move with splice(2) once they flow, both ways, intact, also into a slow
/// reader; with <c>Splice: false</c> nothing is spliced.</summary>
public sealed class SpliceTests
{
    private const int Size = 8 * 1024 * 1024;

    /// <summary>Sends <paramref name="payload"/> in 64 KiB writes, then half-closes.</summary>
    private static async Task SendAllAsync(Socket socket, byte[] payload)
    {
        for (var offset = 0; offset < payload.Length; offset += 64 * 1024)
        {
            await socket.SendAsync(payload.AsMemory(offset, Math.Min(64 * 1024, payload.Length - offset)), SocketFlags.None);
        }

        socket.Shutdown(SocketShutdown.Send);
    }

    /// <summary>A backend that sends <paramref name="payload"/> to each client, then half-closes.</summary>
    private static TcpBackend Source(byte[] payload) => new((socket, ct) => SendAllAsync(socket, payload));

    private static byte[] Payload()
    {
        var payload = new byte[Size];
        Random.Shared.NextBytes(payload);
        return payload;
    }

    [Fact]
    public async Task An_upload_is_spliced_and_arrives_intact()
    {
        var payload = Payload();
        var received = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = new TcpBackend(async (socket, ct) => received.SetResult(SHA256.HashData(await socket.ReadToEndAsync())));
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Routes(Forward("up", port, backend.Address)));

        using (var client = await TestClient.ConnectAsync(port))
        {
            await SendAllAsync(client, payload);
            Assert.Equal(SHA256.HashData(payload), await received.Task.WaitAsync(TestTimeouts.Io));
        }

        var summary = await proxy.Logs.WaitForConnectionAsync("Completed", "up");
        Assert.Contains($"in={Size} out=0", summary.Message, StringComparison.Ordinal);
        Assert.InRange(proxy.Metrics.Route("up").BytesSpliced, Size / 2, Size);
    }

    [Fact]
    public async Task A_download_is_spliced_and_arrives_intact()
    {
        var payload = Payload();
        await using var backend = Source(payload);
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Routes(Forward("down", port, backend.Address)));

        using (var client = await TestClient.ConnectAsync(port))
        {
            client.Shutdown(SocketShutdown.Send);
            Assert.Equal(SHA256.HashData(payload), SHA256.HashData(await client.ReadToEndAsync()));
        }

        var summary = await proxy.Logs.WaitForConnectionAsync("Completed", "down");
        Assert.Contains($"in=0 out={Size}", summary.Message, StringComparison.Ordinal);
        Assert.InRange(proxy.Metrics.Route("down").BytesSpliced, Size / 2, Size);
    }

    [Fact]
    public async Task A_slow_reader_gets_every_byte_of_a_spliced_download()
    {
        // 256 KiB moved into the pipe at a time against a client that takes 4 KiB per read through a 16 KiB buffer:
        // the client's socket fills and what the pipe still holds goes out through an ordinary send.
        var payload = Payload();
        await using var backend = Source(payload);
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(Routes(Forward("slow", port, backend.Address)));

        using var client = await TestClient.ConnectAsync(port);
        client.ReceiveBufferSize = 16 * 1024;
        client.Shutdown(SocketShutdown.Send);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var timeout = new CancellationTokenSource(TestTimeouts.Io * 3);
        var buffer = new byte[4096];
        int read;
        while ((read = await client.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
        {
            hash.AppendData(buffer, 0, read);
        }

        Assert.Equal(SHA256.HashData(payload), hash.GetHashAndReset());
        await proxy.Logs.WaitForConnectionAsync("Completed", "slow");
        Assert.True(proxy.Metrics.Route("slow").BytesSpliced > 0);
    }

    [Fact]
    public async Task With_splice_off_nothing_is_spliced_and_the_stream_arrives_intact()
    {
        var payload = Payload();
        await using var backend = Source(payload);
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(new { Splice = false, Routes = new[] { Forward("copied", port, backend.Address) } });

        using (var client = await TestClient.ConnectAsync(port))
        {
            client.Shutdown(SocketShutdown.Send);
            Assert.Equal(SHA256.HashData(payload), SHA256.HashData(await client.ReadToEndAsync()));
        }

        await proxy.Logs.WaitForConnectionAsync("Completed", "copied");
        Assert.Equal(0, proxy.Metrics.Route("copied").BytesSpliced);
    }
}
