namespace Proxy.Benchmarks.Compare;

/// <summary>No proxy: wrk talks to the nginx HTTP backend itself.</summary>
internal sealed class DirectHttpContender : HttpContender
{
    public override string Name => "direct (no proxy)";

    public override bool IsPeer => false;

    public override Task<RunningContender> StartAsync(int backendPort, TimeSpan lifetime, CancellationToken cancellation) =>
        Task.FromResult(new RunningContender(backendPort, null, null));
}
