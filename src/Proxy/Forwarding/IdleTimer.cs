namespace Proxy.Forwarding;

/// <summary>Cancels a relay after a period with no bytes in either direction. Activity costs one volatile write per
/// read; the timer re-arms itself for the remainder instead of being reset on every read.</summary>
internal sealed class IdleTimer : IDisposable
{
    private readonly CancellationTokenSource _cts;
    private readonly ITimer _timer;
    private readonly long _timeoutMs;
    private long _lastActivity;

    public IdleTimer(TimeSpan timeout, CancellationToken linked)
    {
        _timeoutMs = (long)timeout.TotalMilliseconds;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(linked);
        _lastActivity = Environment.TickCount64;
        _timer = TimeProvider.System.CreateTimer(static s => ((IdleTimer)s!).OnTick(), this, timeout, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Cancelled on idle timeout, on <see cref="Cancel"/>, or when the linked token is.</summary>
    public CancellationToken Token => _cts.Token;

    public bool TimedOut { get; private set; }

    public void Touch() => Volatile.Write(ref _lastActivity, Environment.TickCount64);

    public void Cancel()
    {
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
        _timer.Dispose();
        _cts.Dispose();
    }

    private void OnTick()
    {
        var idle = Environment.TickCount64 - Volatile.Read(ref _lastActivity);
        if (idle >= _timeoutMs)
        {
            TimedOut = true;
            Cancel();
            return;
        }

        try
        {
            _timer.Change(TimeSpan.FromMilliseconds(_timeoutMs - idle), Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
