using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Proxy.Hosting;

namespace Proxy.Transport;

/// <summary>Kestrel's transport for TCP endpoints: binds like Kestrel's socket transport (same options) and gives
/// layer-4 ports connections whose socket an action can take over (<see cref="StreamConnection"/>). Registered after
/// Kestrel's own factory, so Kestrel picks it first (TransportManager: the last registered factory that can bind wins).</summary>
internal sealed class RouteTransportFactory(
    IOptions<SocketTransportOptions> options, LiveConfiguration routes, LargeBlockMemoryPool pool, LayerFourChains chains, ILoggerFactory loggers)
    : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    private readonly StreamConnectionOptions _streamOptions = new(pool);
    private readonly LargeBlockMemoryPool.Factory _kestrelPools = new(pool);

    public bool CanBind(EndPoint endpoint) => endpoint is IPEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var settings = options.Value;
        Socket socket;
        try
        {
            socket = settings.CreateBoundListenSocket(endpoint);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new AddressInUseException(ex.Message, ex);
        }

        socket.Listen(settings.Backlog);
        var kestrelOptions = new SocketConnectionFactoryOptions
        {
            IOQueueCount = settings.IOQueueCount,
            WaitForDataBeforeAllocatingBuffer = settings.WaitForDataBeforeAllocatingBuffer,
            MaxReadBufferSize = settings.MaxReadBufferSize,
            MaxWriteBufferSize = settings.MaxWriteBufferSize,
            UnsafePreferInlineScheduling = settings.UnsafePreferInlineScheduling,
        };
        UseLargeBlocks(kestrelOptions, _kestrelPools);
        var kestrel = new SocketConnectionContextFactory(kestrelOptions, loggers.CreateLogger("Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets"));
        IConnectionListener listener = new RouteSocketListener(socket, StreamsOnly, _streamOptions, kestrel, settings.NoDelay,
            chains.For(endpoint), () => chains.Remove(endpoint), loggers.CreateLogger<RouteSocketListener>());
        return ValueTask.FromResult(listener);
    }

    /// <summary>The options' pool factory is internal (SocketConnectionFactoryOptions.MemoryPoolFactory, ASP.NET Core 10;
    /// Kestrel's own transport copies it from DI), so it is set by name. Without it (a later Kestrel may rename it)
    /// Kestrel's connections read in its default 4 KiB blocks: slower bulk reads, nothing else changes.</summary>
    private static void UseLargeBlocks(SocketConnectionFactoryOptions kestrelOptions, IMemoryPoolFactory<byte> pools)
        => typeof(SocketConnectionFactoryOptions).GetProperty("MemoryPoolFactory", BindingFlags.Instance | BindingFlags.NonPublic)
            ?.SetValue(kestrelOptions, pools);

    /// <summary>Read per connection from the live snapshot, so a port that gains an HTTP route serves its next
    /// connections through Kestrel's transport (one accepted just before keeps the routes its chain started with).</summary>
    private bool StreamsOnly(int port) => routes.Current.Ports.TryGetValue(port, out var onPort) && !onPort.ServesHttp;
}
