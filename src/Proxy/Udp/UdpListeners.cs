using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Proxy.Configuration;
using Proxy.Metrics;
using Proxy.Routing;

namespace Proxy.Udp;

/// <summary>The UDP listener service beside Kestrel (which has no UDP): binds and unbinds UDP ports as snapshots are
/// swapped in, checks new ports can be bound before a change is applied, and stops every listener at shutdown.</summary>
internal sealed class UdpListeners(ProxyMetrics metrics, ILoggerFactory loggers) : IHostedService, IAsyncDisposable
{
    private readonly ILogger _logger = loggers.CreateLogger("Proxy.Udp");
    private readonly Lock _lock = new();
    private Dictionary<int, UdpListener> _listeners = [];

    public IReadOnlyCollection<UdpListener> Current
    {
        get
        {
            lock (_lock)
            {
                return [.. _listeners.Values];
            }
        }
    }

    /// <summary>Errors for every UDP port the snapshot adds that another socket already holds.</summary>
    public IReadOnlyList<ConfigError> CheckAvailable(ProxySnapshot next)
    {
        var errors = new List<ConfigError>();
        lock (_lock)
        {
            foreach (var (port, udp) in next.UdpPorts)
            {
                if (_listeners.TryGetValue(port, out var existing) && existing.BindAddress.Equals(udp.BindAddress))
                {
                    continue;
                }

                try
                {
                    using var probe = new Socket(udp.BindAddress.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                    probe.Bind(new IPEndPoint(udp.BindAddress, port));
                }
                catch (SocketException ex)
                {
                    errors.Add(new ConfigError(udp.Route.Id, "Match.Ports", $"UDP port {port} cannot be bound on {udp.BindAddress}: {ex.SocketErrorCode}."));
                }
            }
        }

        return errors;
    }

    /// <summary>Makes the bound UDP ports those of <paramref name="snapshot"/>. Returns the ports that failed to bind
    /// (the caller then rolls back by applying the previous snapshot).</summary>
    public async Task<IReadOnlyList<int>> ApplyAsync(ProxySnapshot snapshot)
    {
        var failed = new List<int>();
        List<UdpListener> removed = [];
        lock (_lock)
        {
            var next = new Dictionary<int, UdpListener>();
            foreach (var (port, udp) in snapshot.UdpPorts)
            {
                if (_listeners.Remove(port, out var existing))
                {
                    if (existing.BindAddress.Equals(udp.BindAddress))
                    {
                        existing.Update(udp, snapshot);
                        next[port] = existing;
                        continue;
                    }

                    removed.Add(existing);
                }

                try
                {
                    next[port] = new UdpListener(udp, snapshot, metrics, _logger);
                }
                catch (SocketException)
                {
                    failed.Add(port);
                }
            }

            removed.AddRange(_listeners.Values);
            _listeners = next;
        }

        foreach (var listener in removed)
        {
            await listener.DisposeAsync().ConfigureAwait(false);
        }

        return failed;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync().ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        UdpListener[] listeners;
        lock (_lock)
        {
            listeners = [.. _listeners.Values];
            _listeners = [];
        }

        foreach (var listener in listeners)
        {
            await listener.DisposeAsync().ConfigureAwait(false);
        }
    }
}
