using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Proxy.Tests.Infrastructure;

/// <summary>Collects log entries in memory and lets a test await one that matches.</summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();
    private readonly List<Waiter> _waiters = [];
    private readonly Lock _lock = new();

    public IReadOnlyCollection<LogEntry> Entries => _entries;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>Completes with the first entry (already logged or still to come) that matches.</summary>
    public async Task<LogEntry> WaitForAsync(Func<LogEntry, bool> match) => (await WaitForAsync(match, 1))[0];

    /// <summary>Completes once <paramref name="count"/> entries (already logged or still to come) match; with them.</summary>
    public Task<IReadOnlyList<LogEntry>> WaitForAsync(Func<LogEntry, bool> match, int count)
    {
        var waiter = new Waiter(match, count);
        lock (_lock)
        {
            foreach (var entry in _entries)
            {
                if (waiter.Offer(entry))
                {
                    return waiter.Done.Task;
                }
            }

            _waiters.Add(waiter);
        }

        return waiter.Done.Task.WaitAsync(TestTimeouts.Reload);
    }

    /// <summary>Waits for the summary line of a connection that ended with <paramref name="reason"/> (e.g. <c>Blocked</c>).</summary>
    public Task<LogEntry> WaitForConnectionAsync(string reason, string? routeId = null)
        => WaitForAsync(e => e.Message.StartsWith("Connection ", StringComparison.Ordinal)
            && e.Message.Contains($" end={reason}", StringComparison.Ordinal)
            && (routeId is null || e.Message.Contains($" route={routeId} ", StringComparison.Ordinal)));

    public void Dispose()
    {
    }

    private void Add(LogEntry entry)
    {
        lock (_lock)
        {
            _entries.Enqueue(entry);
            _waiters.RemoveAll(waiter => waiter.Offer(entry));
        }
    }

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => owner.Add(new LogEntry(category, logLevel, formatter(state, exception), exception));
    }

    /// <summary>One wait: the matching entries seen so far, done at <c>count</c>.</summary>
    private sealed class Waiter(Func<LogEntry, bool> match, int count)
    {
        private readonly List<LogEntry> _seen = [];

        public TaskCompletionSource<IReadOnlyList<LogEntry>> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>True once this entry completes the wait.</summary>
        public bool Offer(LogEntry entry)
        {
            if (!match(entry))
            {
                return false;
            }

            _seen.Add(entry);
            return _seen.Count == count && Done.TrySetResult(_seen);
        }
    }
}

public sealed record LogEntry(string Category, LogLevel Level, string Message, Exception? Exception);
