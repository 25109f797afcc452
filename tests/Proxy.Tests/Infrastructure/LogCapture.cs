using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Proxy.Tests.Infrastructure;

/// <summary>Collects log entries in memory and lets a test await one that matches.</summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();
    private readonly List<(Func<LogEntry, bool> Match, TaskCompletionSource<LogEntry> Done)> _waiters = [];
    private readonly Lock _lock = new();

    public IReadOnlyCollection<LogEntry> Entries => _entries;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>Completes with the first entry (already logged or still to come) that matches.</summary>
    public Task<LogEntry> WaitForAsync(Func<LogEntry, bool> match)
    {
        var done = new TaskCompletionSource<LogEntry>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            foreach (var entry in _entries)
            {
                if (match(entry))
                {
                    done.SetResult(entry);
                    return done.Task;
                }
            }

            _waiters.Add((match, done));
        }

        return done.Task.WaitAsync(TestTimeouts.Reload);
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
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(entry))
                {
                    _waiters[i].Done.TrySetResult(entry);
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => owner.Add(new LogEntry(category, logLevel, formatter(state, exception), exception));
    }
}

public sealed record LogEntry(string Category, LogLevel Level, string Message, Exception? Exception);
