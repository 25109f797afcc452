namespace Proxy.Benchmarks.Compare;

/// <summary>No proxy at all: the load talks to the target itself. The physical limit of the machine.</summary>
internal sealed class DirectContender : Contender
{
    public override string Name => "direct (no proxy)";

    public override bool IsPeer => false;

    public override bool MeasuresIdleConnections => false;

    public override Task<RunningContender> StartAsync(int targetPort, int maxConnections, TimeSpan lifetime, CancellationToken cancellation) =>
        Task.FromResult(new RunningContender(targetPort, null, null));

    public override Task<RunningContender> StartTcpAndUdpAsync(int targetPort, TimeSpan lifetime, CancellationToken cancellation) =>
        Task.FromResult(new RunningContender(targetPort, null, null));
}
