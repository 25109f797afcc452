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

    /// <summary>The probe loop of each target of the snapshot in force, by target object.</summary>
    private readonly Dictionary<ForwardTarget, Probing> _running = new(ReferenceEqualityComparer.Instance);
    private IDisposable? _watch;
    private bool _stopped;

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
        lock (_lock)
        {
            _stopped = true;
            foreach (var probing in _running.Values)
            {
                probing.Dispose();
            }

            _running.Clear();
        }
    }

    /// <summary>Matches the probe loops to the snapshot in force: a target it keeps (same route and address, so the same
    /// object and state) with the same probe settings goes on probing on its own schedule, so a change elsewhere (a burst
    /// of API calls, say) probes nothing; a new target, or one whose settings changed, is probed at once and then every
    /// interval; a target no longer probed (its route gone, or no longer with <c>HealthCheck.Active</c>) stops, and forgets
    /// what its probes decided. Under the lock, so that of two swaps close together the later snapshot's probes are the
    /// ones left running.</summary>
    private void ProbeCurrent()
    {
        lock (_lock)
        {
            if (_stopped)
            {
                return;
            }

            var wanted = new Dictionary<ForwardTarget, (string RouteId, TargetProbe Probe)>(ReferenceEqualityComparer.Instance);
            foreach (var route in live.Current.Routes)
            {
                if (route.Action is ForwardAction { Pool: { Probe: { } probe } pool })
                {
                    foreach (var target in pool.Distinct)
                    {
                        wanted[target] = (route.Id, probe);
                    }
                }
            }

            foreach (var (target, probing) in _running.ToList())
            {
                var stillProbed = wanted.TryGetValue(target, out var want);
                if (!stillProbed || want.Probe != probing.Probe)
                {
                    probing.Dispose();
                    _running.Remove(target);
                    if (!stillProbed)
                    {
                        target.ProbesStopped();
                    }
                }
            }

            foreach (var (target, (routeId, probe)) in wanted)
            {
                if (!_running.ContainsKey(target))
                {
                    var probing = new Probing(probe);
                    _running.Add(target, probing);
                    _ = ProbeAsync(routeId, target, probe, probing.Token);
                }
            }
        }
    }

    private async Task ProbeAsync(string routeId, ForwardTarget target, TargetProbe probe, CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var (socket, error) = await TargetDialer.ConnectAsync(target, probe.Timeout, stop).ConfigureAwait(false);
                socket?.Dispose();
                if (error == SocketError.OperationAborted || stop.IsCancellationRequested)
                {
                    return;
                }

                // A change of state is down on a failure, up on a success.
                var succeeded = socket is not null;
                if (target.Probed(succeeded))
                {
                    if (succeeded)
                    {
                        Log.TargetUp(logger, target.Address, routeId);
                    }
                    else
                    {
                        Log.TargetDown(logger, target.Address, routeId, error, ForwardTarget.ProbeFailuresToDown);
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

    /// <summary>One target's probe loop: its settings and what stops it (disposing it).</summary>
    private sealed class Probing(TargetProbe probe) : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();

        public TargetProbe Probe { get; } = probe;

        public CancellationToken Token => _stop.Token;

        public void Dispose()
        {
            _stop.Cancel();
            _stop.Dispose();
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
