using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Proxy.Hosting;

namespace Proxy.Forwarding;

/// <summary>Runs the active health checks of Forward routes (<c>HealthCheck.Active</c>): each target of the snapshot in
/// force is connected to every interval and closed at once; two failures in a row take it out of load balancing, the
/// next success brings it back, and each change is logged. A target that a reload or API change keeps keeps its state
/// (<see cref="ForwardActionFactory"/> hands the same object to the next snapshot).</summary>
internal sealed partial class TargetProber(LiveConfiguration live, ILogger<TargetProber> logger) : IHostedService, IDisposable
{
    private readonly Lock _lock = new();
    private CancellationTokenSource? _probing;
    private IDisposable? _watch;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _watch = ChangeToken.OnChange(live.GetChangeToken, ProbeCurrent);
        ProbeCurrent();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _watch?.Dispose();
        Replace(null);
    }

    /// <summary>Probes the targets of the snapshot in force, after stopping the probes of the one before: a target the
    /// new snapshot keeps (same route and address, so the same object and state) gets one prober again, probing at once.
    /// Under the lock, so that of two swaps close together the later snapshot's probes are the ones left running.</summary>
    private void ProbeCurrent()
    {
        lock (_lock)
        {
            var probing = new CancellationTokenSource();
            Replace(probing);
            foreach (var route in live.Current.Routes)
            {
                if (route.Action is ForwardAction { Pool: { Probe: { } probe } pool })
                {
                    foreach (var target in pool.Distinct)
                    {
                        _ = ProbeAsync(route.Id, target, probe, probing.Token);
                    }
                }
            }
        }
    }

    private void Replace(CancellationTokenSource? probing)
    {
        CancellationTokenSource? previous;
        lock (_lock)
        {
            previous = _probing;
            _probing = probing;
        }

        previous?.Cancel();
        previous?.Dispose();
    }

    private async Task ProbeAsync(string routeId, ForwardTarget target, TargetProbe probe, CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var (socket, error) = await TargetDialer.ConnectAsync(target, probe.Timeout, stop).ConfigureAwait(false);
                socket?.Dispose();
                if (error == SocketError.OperationAborted)
                {
                    return;
                }

                if (target.Probed(socket is not null))
                {
                    if (target.IsProbedDown)
                    {
                        Log.TargetDown(logger, target.Address, routeId, error, ForwardTarget.ProbeFailuresToDown);
                    }
                    else
                    {
                        Log.TargetUp(logger, target.Address, routeId);
                    }
                }

                await Task.Delay(probe.Interval, stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The snapshot was replaced or the proxy stops.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Target {Target} of route {RouteId} is down: {Error} on {Probes} probes in a row")]
        public static partial void TargetDown(ILogger logger, string target, string routeId, SocketError error, int probes);

        [LoggerMessage(2, LogLevel.Information, "Target {Target} of route {RouteId} is up again: a probe connected")]
        public static partial void TargetUp(ILogger logger, string target, string routeId);
    }
}
