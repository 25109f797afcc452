namespace Proxy.Benchmarks.Compare;

/// <summary>socat, one forked process per connection: the simplest user-space copy loop.</summary>
internal sealed class SocatContender : Contender
{
    public override string Name => "socat";

    /// <summary>A process per connection: 10,000 held connections would be 10,000 processes, not a proxy's cost.</summary>
    public override bool MeasuresIdleConnections => false;

    public override async Task<RunningContender> StartAsync(int targetPort, int maxConnections, TimeSpan lifetime, CancellationToken cancellation)
    {
        var port = LoopbackPorts.Free();
        var process = Pinned.Start(
            Pinned.ProxyCore, "socat", [$"TCP-LISTEN:{port},bind=127.0.0.1,fork,reuseaddr", $"TCP:127.0.0.1:{targetPort}"], lifetime);
        return await WaitReadyAsync(Name, port, process, null, cancellation).ConfigureAwait(false);
    }
}
