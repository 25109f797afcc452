namespace Proxy.Benchmarks.Compare;

/// <summary>Every run of the tunnel measure for one contender: iperf3 through it both ways, and tunnels opened per second.</summary>
/// <param name="Contender">Who was measured.</param>
/// <param name="ClientToTarget">Gbit/s, iperf3 without <c>-R</c>.</param>
/// <param name="TargetToClient">Gbit/s, iperf3 <c>-R</c>.</param>
/// <param name="Setup">Tunnels per second, each carrying one HTTP request and its answer.</param>
/// <param name="SetupFailures">Failed tunnel attempts over every setup run.</param>
/// <param name="FirstSetupError">The first failed attempt's message, or null.</param>
/// <param name="PeakRssBytes">The largest resident memory of its processes over every run.</param>
/// <param name="WarmUp">How it was warmed before its runs.</param>
/// <param name="Error">Why it has no figures, or null.</param>
internal sealed record TunnelResult(
    TunnelContender Contender, TunnelFigure ClientToTarget, TunnelFigure TargetToClient, TunnelFigure Setup, int SetupFailures, string? FirstSetupError,
    long PeakRssBytes, WarmUpResult? WarmUp, string? Error)
{
    public static TunnelResult Failed(TunnelContender contender, string error) =>
        new(contender, TunnelFigure.None, TunnelFigure.None, TunnelFigure.None, 0, null, 0, null, error);
}
