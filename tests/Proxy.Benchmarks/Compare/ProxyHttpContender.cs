namespace Proxy.Benchmarks.Compare;

/// <summary>This proxy with one <c>Http</c> route (YARP) to the backend, logging at Warning (no per-request line).</summary>
internal sealed class ProxyHttpContender : HttpContender
{
    public override string Name => "this proxy (Http route)";

    public override bool IsPeer => false;

    public override Task<RunningContender> StartAsync(int backendPort, TimeSpan lifetime, CancellationToken cancellation)
    {
        var port = LoopbackPorts.Free();
        object[] routes = [ProxyProcess.Route("bench", port, new { Type = "Http", Targets = new[] { $"http://127.0.0.1:{backendPort}" } })];
        return ProxyProcess.StartAsync(Name, port, routes, 1000, udp: false, lifetime, cancellation);
    }
}
