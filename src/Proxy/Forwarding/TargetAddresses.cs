using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Proxy.Forwarding;

/// <summary>What a target's host name resolves to, kept between connections: HAProxy and nginx resolve a target's name
/// when they load their configuration, Envoy's strict DNS clusters every few seconds; none asks the resolver once per
/// connection. The answer is used for <see cref="Refresh"/>; a connection that finds it stale still gets it, and the
/// name is looked up again beside it (one lookup at a time, off the caller's thread, so a UDP port's receive loop
/// never waits on a resolver). A lookup that fails keeps the last good answer, as HAProxy's resolvers and Envoy do, and
/// is retried after <see cref="RetryAfterFailure"/> (sooner if the refresh is shorter); a name that never resolved
/// fails its connections at once until then.</summary>
internal sealed partial class TargetAddresses
{
    /// <summary>How long a target's answer is used by default before the name is looked up again.</summary>
    public static readonly TimeSpan DefaultRefresh = TimeSpan.FromSeconds(30);

    /// <summary>How long one lookup may take.</summary>
    public static readonly TimeSpan LookupTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How soon a failed lookup is tried again.</summary>
    public static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(5);

    private readonly Func<string, CancellationToken, Task<IPAddress[]>> _lookup;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private IPAddress[] _addresses = [];
    private long _stale; // Stopwatch timestamp from which the answer (or the failure) is looked up again; 0: never looked up
    private Task<IPAddress[]>? _lookingUp;
    private bool _failing;
    private int _next;

    /// <param name="routeId">The route the target belongs to, for logs.</param>
    /// <param name="host">The name to resolve.</param>
    /// <param name="refresh">How long an answer is used (<c>Proxy:DnsRefresh</c>).</param>
    /// <param name="logger">Where changes of the answer and failed lookups are logged.</param>
    /// <param name="lookup">The resolver; <see cref="Dns.GetHostAddressesAsync(string, CancellationToken)"/> unless a test scripts one.</param>
    public TargetAddresses(
        string routeId, string host, TimeSpan refresh, ILogger logger, Func<string, CancellationToken, Task<IPAddress[]>>? lookup = null)
    {
        RouteId = routeId;
        Host = host;
        Refresh = refresh;
        _logger = logger;
        _lookup = lookup ?? Dns.GetHostAddressesAsync;
    }

    public string RouteId { get; }

    public string Host { get; }

    public TimeSpan Refresh { get; }

    /// <summary>The last good answer without waiting (empty until the name first resolves); starts a lookup when it is
    /// stale. For callers that must not wait, such as a UDP port's receive loop.</summary>
    public IPAddress[] Current()
    {
        var addresses = Volatile.Read(ref _addresses);
        if (Stopwatch.GetTimestamp() >= Volatile.Read(ref _stale))
        {
            _ = LookUp();
        }

        return addresses;
    }

    /// <summary>The last good answer; waits for a lookup only while the name has never resolved and no failure is fresh.
    /// Empty: the name does not resolve.</summary>
    public ValueTask<IPAddress[]> GetAsync(CancellationToken cancellationToken)
    {
        var addresses = Volatile.Read(ref _addresses);
        if (Stopwatch.GetTimestamp() < Volatile.Read(ref _stale))
        {
            return new(addresses);
        }

        var lookup = LookUp();
        return addresses.Length > 0 ? new(addresses) : new(lookup.WaitAsync(cancellationToken));
    }

    /// <summary>Which of an answer's <paramref name="count"/> addresses a new connection tries first: each in turn, so a
    /// name with several addresses spreads its connections over them (nginx and Envoy make each address a server of its
    /// own) instead of sending all to the first until the next refresh.</summary>
    public int Start(int count) => count <= 1 ? 0 : (int)((uint)Interlocked.Increment(ref _next) % (uint)count);

    /// <summary>Starts a lookup if the answer is stale or the name was never looked up, without waiting for it.</summary>
    public void Warm() => _ = Current();

    /// <summary>Starts a lookup now unless one is running.</summary>
    public Task<IPAddress[]> LookUp()
    {
        // While a stale answer is refreshed every connection comes here: the running lookup needs no lock.
        if (Volatile.Read(ref _lookingUp) is { } running)
        {
            return running;
        }

        lock (_gate)
        {
            // Task.Run: the resolver's synchronous part (getaddrinfo setup, /etc/hosts) never runs on the caller's thread.
            return _lookingUp ??= Task.Run(LookUpAsync);
        }
    }

    private async Task<IPAddress[]> LookUpAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(LookupTimeout);
            var resolved = await _lookup(Host, timeout.Token).ConfigureAwait(false);
            if (resolved.Length == 0)
            {
                throw new SocketException((int)SocketError.NoData);
            }

            var previous = Interlocked.Exchange(ref _addresses, resolved);
            Volatile.Write(ref _stale, Stopwatch.GetTimestamp() + Ticks(Refresh));
            if (_failing || !SameAddresses(previous, resolved))
            {
                Log.Resolved(_logger, RouteId, Host, Text(resolved));
            }

            _failing = false;
            return resolved;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            var retry = Refresh < RetryAfterFailure ? Refresh : RetryAfterFailure;
            Volatile.Write(ref _stale, Stopwatch.GetTimestamp() + Ticks(retry));
            var kept = Volatile.Read(ref _addresses);
            if (!_failing)
            {
                var error = ex is SocketException socket ? socket.SocketErrorCode.ToString() : "timed out";
                if (kept.Length > 0)
                {
                    Log.ResolveFailedKeeping(_logger, RouteId, Host, error, Text(kept), Math.Round(retry.TotalSeconds, 1));
                }
                else
                {
                    Log.ResolveFailed(_logger, RouteId, Host, error, Math.Round(retry.TotalSeconds, 1));
                }
            }

            _failing = true;
            return kept;
        }
        finally
        {
            lock (_gate)
            {
                _lookingUp = null;
            }
        }
    }

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    private static bool SameAddresses(IPAddress[] a, IPAddress[] b) => a.Length == b.Length && a.All(b.Contains);

    private static string Text(IPAddress[] addresses) => string.Join(", ", (IEnumerable<IPAddress>)addresses);

    private static partial class Log
    {
        [LoggerMessage(2, LogLevel.Information, "Route {RouteId}: target host {Host} resolves to {Addresses}")]
        public static partial void Resolved(ILogger logger, string routeId, string host, string addresses);

        [LoggerMessage(3, LogLevel.Warning, "Route {RouteId}: target host {Host} did not resolve ({Error}); still using {Addresses}, next lookup in {Seconds} s")]
        public static partial void ResolveFailedKeeping(ILogger logger, string routeId, string host, string error, string addresses, double seconds);

        [LoggerMessage(4, LogLevel.Warning, "Route {RouteId}: target host {Host} did not resolve ({Error}); its connections fail until it does, next lookup in {Seconds} s")]
        public static partial void ResolveFailed(ILogger logger, string routeId, string host, string error, double seconds);
    }
}
