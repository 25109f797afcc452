namespace Proxy.Benchmarks.Compare;

/// <summary>One way of serving HTTP on 127.0.0.1:port from the nginx HTTP backend: a reverse proxy on the proxy core,
/// or nothing (direct).</summary>
internal abstract class HttpContender
{
    public abstract string Name { get; }

    /// <summary>A peer this proxy is compared with (the "best peer" of the report's ratios).</summary>
    public virtual bool IsPeer => true;

    /// <summary>Starts proxying a free loopback port to the backend, pinned to the proxy core, and returns once it listens.</summary>
    /// <param name="backendPort">The nginx HTTP backend, on 127.0.0.1.</param>
    /// <param name="lifetime">It is killed by PID after this long at the latest.</param>
    /// <param name="cancellation">Stops waiting for it to listen.</param>
    public abstract Task<RunningContender> StartAsync(int backendPort, TimeSpan lifetime, CancellationToken cancellation);
}
