using System.Diagnostics;
using System.Net.Sockets;
using Proxy.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Proxy.Tests.Relay;

/// <summary>Tests that measure the whole process's managed heap: they run alone, after the parallel tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasurementGroup
{
    public const string Name = "Memory measurement (runs alone)";
}

/// <summary>Backpressure through the relay: a destination that sends far more than a slow client reads must not make
/// either node buffer it.</summary>
[Collection(MemoryMeasurementGroup.Name)]
public sealed class RelayMemoryTests(ITestOutputHelper output)
{
    private const long Total = 50L * 1024 * 1024;
    private const long Bound = 30L * 1024 * 1024;

    [Fact]
    public async Task Slow_reader_of_50_MB_through_the_relay_keeps_memory_bounded_and_gets_every_byte()
    {
        var chunk = Pattern(0, 64 * 1024);
        await using var backend = new TcpBackend(async (socket, ct) =>
        {
            // As fast as the tunnel takes it. The pattern repeats every 251 bytes: each send starts where the last ended.
            for (long sent = 0; sent < Total;)
            {
                var offset = (int)(sent % 251);
                var count = (int)Math.Min(chunk.Length - 251, Total - sent);
                await socket.SendAsync(chunk.AsMemory(offset, count), SocketFlags.None, ct);
                sent += count;
            }

            socket.Shutdown(SocketShutdown.Send);
            await socket.ReadToEndAsync();
        });
        await using var nodes = await RelayNodes.StartAsync();
        using var tunnel = await ConnectClient.OpenTunnelAsync(nodes.IngressPort, backend.Address, receiveBufferSize: 16 * 1024);

        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var peak = baseline;
        var buffer = new byte[16 * 1024];
        long received = 0;
        var reads = 0;
        var watch = Stopwatch.StartNew();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var read = await tunnel.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            if (read == 0)
            {
                break;
            }

            for (var i = 0; i < read; i++)
            {
                if (buffer[i] != (byte)((received + i) % 251))
                {
                    Assert.Fail($"Byte {received + i} is {buffer[i]}, expected {(received + i) % 251}.");
                }
            }

            received += read;
            // The reader's pace (a few MB/s): far slower than loopback, so both nodes must hold back.
            if (++reads % 2 == 0)
            {
                await Task.Delay(1, timeout.Token);
            }

            if (reads % 256 == 0)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true));
            }
        }

        peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true));
        output.WriteLine($"{received} bytes in {watch.Elapsed}; managed heap {baseline / 1024} KiB before, peak growth {(peak - baseline) / 1024} KiB.");
        Assert.Equal(Total, received);
        Assert.True(peak - baseline < Bound,
            $"The managed heap grew by {(peak - baseline) / (1024 * 1024)} MB while 50 MB went through a slow reader (bound {Bound / (1024 * 1024)} MB).");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(45), $"The transfer took {watch.Elapsed}.");
        tunnel.Shutdown(SocketShutdown.Send);
        await nodes.Ingress.Logs.WaitForConnectionAsync("Completed", RelayNodes.IngressRoute);
    }

    private static byte[] Pattern(int start, int length)
    {
        var data = new byte[length];
        for (var i = 0; i < length; i++)
        {
            data[i] = (byte)((start + i) % 251);
        }

        return data;
    }
}
