namespace Proxy.Forwarding;

/// <summary>Cancels a relay after a period with no bytes in either direction, or when its connection is asked to close
/// (server shutdown). Activity costs one volatile write per read. No timer and no linked token per relay: every live
/// IdleTimer sits in one intrusive list that one process-wide timer sweeps every <see cref="SweepInterval"/> (as
/// HAProxy and nginx keep one timer tree, not a timer per connection), so an idle relay holds one small object and
/// its token source, and a timeout fires within one sweep interval of its deadline.</summary>
internal sealed class IdleTimer : IDisposable
{
    /// <summary>How often the sweep runs: the resolution of idle timeouts and of noticing shutdown.</summary>
    public static readonly TimeSpan SweepInterval = TimeSpan.FromMilliseconds(100);

    private static readonly Lock ListLock = new();
    private static IdleTimer? s_head;
    private static int s_count;
    private static ITimer? s_sweeper;

    private readonly CancellationTokenSource _cts = new();
    private readonly CancellationToken _shutdown;
    private readonly long _timeoutMs;
    private long _lastActivity;
    private IdleTimer? _previous;
    private IdleTimer? _next;
    private bool _listed;

    public IdleTimer(TimeSpan timeout, CancellationToken shutdown)
    {
        _timeoutMs = (long)timeout.TotalMilliseconds;
        _shutdown = shutdown;
        _lastActivity = Environment.TickCount64;
        if (shutdown.IsCancellationRequested)
        {
            _cts.Cancel();
            return;
        }

        Add(this);
    }

    /// <summary>Cancelled on idle timeout, on <see cref="Cancel"/>, or once the shutdown token is.</summary>
    public CancellationToken Token => _cts.Token;

    public bool TimedOut { get; private set; }

    /// <summary>Relays being watched now (for tests and diagnostics).</summary>
    internal static int Watched
    {
        get
        {
            lock (ListLock)
            {
                return s_count;
            }
        }
    }

    public void Touch() => Volatile.Write(ref _lastActivity, Environment.TickCount64);

    public void Cancel()
    {
        Remove(this);
        try
        {
            _cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        Remove(this);
        _cts.Dispose();
    }

    private static void Add(IdleTimer timer)
    {
        lock (ListLock)
        {
            timer._next = s_head;
            if (s_head is not null)
            {
                s_head._previous = timer;
            }

            s_head = timer;
            timer._listed = true;
            s_count++;
            s_sweeper ??= TimeProvider.System.CreateTimer(static _ => Sweep(), null, SweepInterval, SweepInterval);
        }
    }

    private static void Remove(IdleTimer timer)
    {
        lock (ListLock)
        {
            if (!timer._listed)
            {
                return;
            }

            if (timer._previous is not null)
            {
                timer._previous._next = timer._next;
            }
            else
            {
                s_head = timer._next;
            }

            if (timer._next is not null)
            {
                timer._next._previous = timer._previous;
            }

            timer._previous = timer._next = null;
            timer._listed = false;
            s_count--;
        }
    }

    /// <summary>Collects the relays that are due under the lock, and cancels them outside it (a cancellation runs the
    /// relay's callbacks, which may remove other timers).</summary>
    private static void Sweep()
    {
        var now = Environment.TickCount64;
        List<IdleTimer>? due = null;
        lock (ListLock)
        {
            for (var timer = s_head; timer is not null; timer = timer._next)
            {
                if (timer._shutdown.IsCancellationRequested || now - Volatile.Read(ref timer._lastActivity) >= timer._timeoutMs)
                {
                    (due ??= []).Add(timer);
                }
            }
        }

        if (due is null)
        {
            return;
        }

        foreach (var timer in due)
        {
            timer.TimedOut = !timer._shutdown.IsCancellationRequested;
            timer.Cancel();
        }
    }
}
