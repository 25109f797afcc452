using System.Diagnostics.CodeAnalysis;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Proxy.Connections;
using Proxy.Forwarding;
using Proxy.ProxyProtocol;
using Proxy.Routing;

namespace Proxy.Benchmarks.Micro;

/// <summary>
/// The copy loop's per-read work, measured on the real <see cref="TcpRelay"/> running between two loopback socket
/// pairs for the whole benchmark. One operation pushes 64 KiB through the relay in one direction and waits until the
/// far end has drained all of it, so the time includes two loopback socket hops and the relay's scheduling, not only
/// its own code. The allocation column counts every thread (the relay's loops included) and must read 0 B:
/// the relay rents its buffers, and a connection that stays open reuses the sockets' awaitables.
/// </summary>
[MemoryDiagnoser]
[SuppressMessage("Reliability", "CA1001", Justification = "BenchmarkDotNet calls [GlobalCleanup], which disposes them.")]
public class CopyLoopBenchmarks
{
    private const int ChunkSize = 64 * 1024;
    private readonly byte[] _chunk = new byte[ChunkSize];
    private readonly byte[] _sink = new byte[ChunkSize];
    private IdleTimer _touched = null!;
    private LoopbackPair _client = null!;
    private LoopbackPair _target = null!;
    private Pipe _clientInput = null!;
    private CancellationTokenSource _shutdown = null!;
    private Task<CloseReason> _relay = null!;

    [GlobalSetup]
    public void Setup()
    {
        _shutdown = new CancellationTokenSource();
        _touched = new IdleTimer(TimeSpan.FromHours(1), _shutdown.Token);
        _client = LoopbackPair.Create();
        _target = LoopbackPair.Create();

        // Kestrel's socket transport fills this pipe from the client socket; here the benchmark writes it. The
        // target-to-client direction goes socket to socket, as it does when Kestrel exposes its socket.
        _clientInput = new Pipe();
        var context = new DefaultConnectionContext("bench") { Transport = new DuplexPipe(_clientInput.Reader, new Pipe().Writer) };
        context.Features.Set<IConnectionSocketFeature>(new SocketFeature(_client.Near));
        var peer = (IPEndPoint)_client.Far.LocalEndPoint!;
        var port = new PortRoutes
        {
            Port = peer.Port,
            BindAddress = IPAddress.Loopback,
            Routes = [],
            NeedsServerName = false,
            ProxyProtocol = ProxyProtocolSettings.Off,
            PeekTimeout = TimeSpan.FromSeconds(3),
            PeekMaxBytes = 16 * 1024,
        };
        var connection = new ProxyConnection(context, ProxySnapshot.Empty, port, peer);
        _relay = TcpRelay.RunAsync(connection, _target.Near, TimeSpan.FromHours(1), _shutdown.Token);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _clientInput.Writer.Complete();
        _target.Far.Shutdown(SocketShutdown.Send);
        if (!_relay.Wait(TimeSpan.FromSeconds(10)))
        {
            _shutdown.Cancel();
        }

        _touched.Dispose();
        _client.Dispose();
        _target.Dispose();
        _shutdown.Dispose();
    }

    /// <summary>What the relay does to its idle timer on every read.</summary>
    [Benchmark]
    public void IdleTimerTouch() => _touched.Touch();

    /// <summary>Client to target: Kestrel's pipe (4 KiB blocks) gathered into one pooled buffer and sent to the target socket.</summary>
    [Benchmark]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask RelayClientToTarget64KiB()
    {
        await _clientInput.Writer.WriteAsync(_chunk).ConfigureAwait(false);
        await ReceiveExactlyAsync(_target.Far).ConfigureAwait(false);
    }

    /// <summary>Target to client: zero-byte read, receive into a pooled 64 KiB buffer, send to the client socket.</summary>
    [Benchmark]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask RelayTargetToClient64KiB()
    {
        var data = _chunk.AsMemory();
        while (!data.IsEmpty)
        {
            data = data[await _target.Far.SendAsync(data, SocketFlags.None).ConfigureAwait(false)..];
        }

        await ReceiveExactlyAsync(_client.Far).ConfigureAwait(false);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ReceiveExactlyAsync(Socket socket)
    {
        var received = 0;
        while (received < ChunkSize)
        {
            var read = await socket.ReceiveAsync(_sink.AsMemory(received), SocketFlags.None).ConfigureAwait(false);
            if (read == 0)
            {
                throw new InvalidOperationException("The relay closed the connection.");
            }

            received += read;
        }
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    private sealed class SocketFeature(Socket socket) : IConnectionSocketFeature
    {
        public Socket Socket { get; } = socket;
    }
}
