namespace Proxy.Benchmarks.Compare;

/// <summary>The ceiling of a YARP route: this proxy's host with the same <c>Http</c> route and runtime settings, whose
/// YARP client answers from memory (<see cref="NoUpstreamHost"/>). Not a proxy and not a peer: it shows how many
/// requests per core the route could serve if its upstream leg cost nothing.</summary>
internal sealed class NoUpstreamHttpContender : HttpContender
{
    /// <summary>The runtime settings the proxy program has from its runtime configuration (Proxy.csproj), given to this
    /// child of the benchmark's own build through the environment; inline socket completions it applies itself.</summary>
    private static readonly Dictionary<string, string> ProgramRuntime = new()
    {
        ["DOTNET_gcServer"] = "1",
        ["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0",
    };

    public override string Name => "this proxy's host, upstream answered in memory (ceiling)";

    public override bool IsPeer => false;

    public override Task<RunningContender> StartAsync(int backendPort, TimeSpan lifetime, CancellationToken cancellation)
    {
        var port = LoopbackPorts.Free();
        object[] routes = [ProxyProcess.Route("bench", port, new { Type = "Http", Targets = new[] { $"http://127.0.0.1:{backendPort}" } })];
        string[] arguments = [typeof(NoUpstreamHost).Assembly.Location, "http-no-upstream"];
        return ProxyProcess.StartAsync(Name, port, routes, 1000, udp: false, lifetime, cancellation, host: (arguments, ProgramRuntime));
    }
}
