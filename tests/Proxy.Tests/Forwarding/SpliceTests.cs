using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Proxy.Tests.Admin;
using Proxy.Tests.Infrastructure;
using Proxy.Tests.Socks;
using static Proxy.Tests.Infrastructure.TestRoutes;

namespace Proxy.Tests.Forwarding;

/// <summary>Bulk streams through a Forward route move with splice(2) once they flow, both ways, intact, also into a slow
/// reader, and /metrics says how much was spliced; with <c>Splice: false</c> nothing is. A download by curl through a
/// CONNECT or SOCKS5 tunnel is spliced too.</summary>
public sealed class SpliceTests
{
    private const int Size = 8 * 1024 * 1024;

    private static readonly byte[] PayloadBytes = RandomNumberGenerator.GetBytes(Size);

    private static readonly byte[] PayloadHash = SHA256.HashData(PayloadBytes);

    /// <summary>Sends the payload in 64 KiB writes, then half-closes.</summary>
    private static async Task SendPayloadAsync(Socket socket)
    {
        for (var offset = 0; offset < Size; offset += 64 * 1024)
        {
            await socket.SendAsync(PayloadBytes.AsMemory(offset, Math.Min(64 * 1024, Size - offset)), SocketFlags.None);
        }

        socket.Shutdown(SocketShutdown.Send);
    }

    /// <summary>A backend that sends the payload to each client, then half-closes.</summary>
    private static TcpBackend Source() => new((socket, ct) => SendPayloadAsync(socket));

    /// <summary>Half-closes at once and asserts the whole payload arrives.</summary>
    private static async Task DownloadAsync(Socket client)
    {
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal(PayloadHash, SHA256.HashData(await client.ReadToEndAsync()));
    }

    /// <summary>One connection through a Forward route to <paramref name="backend"/> run by <paramref name="client"/>; the
    /// connection's summary line and the route's <c>proxy_route_spliced_bytes_total</c> as /metrics shows it.</summary>
    private static async Task<(string Summary, double Spliced)> ForwardOnceAsync(
        string routeId, TcpBackend backend, Func<Socket, Task> client, bool splice = true, int? receiveBufferSize = null)
    {
        var port = TestClient.FreePort();
        await using var proxy = await ProxyTestHost.StartAsync(new { Splice = splice, Routes = new[] { Forward(routeId, port, backend.Address) } });
        using (var socket = await TestClient.ConnectAsync(port, receiveBufferSize: receiveBufferSize))
        {
            await client(socket);
        }

        var summary = await proxy.Logs.WaitForConnectionAsync("Completed", routeId);
        return (summary.Message, await SplicedAsync(proxy, routeId));
    }

    /// <summary>The route's <c>proxy_route_spliced_bytes_total</c> as /metrics shows it.</summary>
    private static async Task<double> SplicedAsync(ProxyTestHost proxy, string routeId)
    {
        using var admin = new AdminClient(proxy.AdminUrl);
        using var metrics = await admin.GetAsync("/metrics");
        var samples = PrometheusParser.Parse(await metrics.Content.ReadAsStringAsync());
        return samples[$"proxy_route_spliced_bytes_total{{route=\"{routeId}\"}}"];
    }

    [Fact]
    public async Task An_upload_is_spliced_and_arrives_intact()
    {
        var received = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = new TcpBackend(async (socket, ct) => received.SetResult(SHA256.HashData(await socket.ReadToEndAsync())));

        var (summary, spliced) = await ForwardOnceAsync("up", backend, async client =>
        {
            await SendPayloadAsync(client);
            Assert.Equal(PayloadHash, await received.Task.WaitAsync(TestTimeouts.Io));
        });

        Assert.Contains($"in={Size} out=0", summary, StringComparison.Ordinal);
        Assert.InRange(spliced, Size / 2, Size);
    }

    [Fact]
    public async Task A_download_is_spliced_and_arrives_intact()
    {
        await using var backend = Source();

        var (summary, spliced) = await ForwardOnceAsync("down", backend, DownloadAsync);

        Assert.Contains($"in=0 out={Size}", summary, StringComparison.Ordinal);
        Assert.InRange(spliced, Size / 2, Size);
    }

    [Fact]
    public async Task A_slow_reader_gets_every_byte_of_a_spliced_download()
    {
        // 256 KiB moved into the pipe at a time against a client that takes 4 KiB per read through a 16 KiB buffer:
        // the client's socket fills and what the pipe still holds goes out through an ordinary send.
        await using var backend = Source();

        var (_, spliced) = await ForwardOnceAsync("slow", backend, async client =>
        {
            client.Shutdown(SocketShutdown.Send);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using var timeout = new CancellationTokenSource(TestTimeouts.Io * 3);
            var buffer = new byte[4096];
            int read;
            while ((read = await client.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
            {
                hash.AppendData(buffer, 0, read);
            }

            Assert.Equal(PayloadHash, hash.GetHashAndReset());
        }, receiveBufferSize: 16 * 1024);

        Assert.True(spliced > 0);
    }

    [Fact]
    public async Task With_splice_off_nothing_is_spliced_and_the_stream_arrives_intact()
    {
        await using var backend = Source();

        var (summary, spliced) = await ForwardOnceAsync("copied", backend, DownloadAsync, splice: false);

        Assert.Contains($"in=0 out={Size}", summary, StringComparison.Ordinal);
        Assert.Equal(0, spliced);
    }

    [Theory]
    [InlineData("Connect")]
    [InlineData("Socks5")]
    public async Task A_curl_download_through_a_tunnel_route_is_spliced_and_arrives_intact(string type)
    {
        // An HTTP server whose one answer is the payload.
        await using var backend = new TcpBackend(async (socket, ct) =>
        {
            await ConnectClient.ReadHeadAsync(socket);
            await socket.SendAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {Size}\r\nConnection: close\r\n\r\n"), ct);
            await SendPayloadAsync(socket);
        });
        var port = TestClient.FreePort();
        var route = type == "Connect"
            ? ConnectRoutes.ConnectRoute("tunnel", port, ConnectRoutes.Loopback)
            : SocksConfig.Socks5("tunnel", port, SocksConfig.Loopback);
        await using var proxy = await ProxyTestHost.StartAsync(ConnectRoutes.Section([route]));
        string[] via = type == "Connect" ? ["-p", "-x", $"http://127.0.0.1:{port}"] : ["--socks5", $"127.0.0.1:{port}"];
        var file = Path.GetTempFileName();
        try
        {
            var result = await CurlClient.RunAsync(
                ["-sS", .. via, "--proxy-user", $"{ConnectRoutes.User}:{ConnectRoutes.Password}", "-o", file, $"http://127.0.0.1:{backend.Port}/payload"]);

            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Equal(PayloadHash, SHA256.HashData(await File.ReadAllBytesAsync(file)));
        }
        finally
        {
            File.Delete(file);
        }

        await proxy.Logs.WaitForConnectionAsync("Completed", "tunnel");
        Assert.InRange(await SplicedAsync(proxy, "tunnel"), Size / 2, Size);
    }
}
