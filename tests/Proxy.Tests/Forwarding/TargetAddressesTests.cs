using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Proxy.Forwarding;
using Proxy.Tests.Infrastructure;

namespace Proxy.Tests.Forwarding;

/// <summary>The cache of a Forward target's host name, with a scripted resolver: each lookup takes the next answer the
/// test hands it, so a changed, failing or slow resolver can be played (the real resolver is used end to end in
/// <see cref="TargetNameTests"/>).</summary>
public sealed class TargetAddressesTests
{
    private static readonly TimeSpan Long = TimeSpan.FromHours(1);
    private static readonly TimeSpan AlwaysStale = TimeSpan.FromTicks(1);
    private static readonly IPAddress A = IPAddress.Parse("192.0.2.1");
    private static readonly IPAddress B = IPAddress.Parse("192.0.2.2");
    private static readonly IPAddress V6 = IPAddress.Parse("2001:db8::1");

    [Fact]
    public async Task An_answer_is_used_for_the_refresh_period_without_asking_again()
    {
        using var resolver = new ScriptedResolver();
        var (addresses, _) = Create(resolver, Long);

        var first = addresses.GetAsync(CancellationToken.None).AsTask();
        resolver.Answer([A, V6]);
        Assert.Equal([A, V6], await first.WaitAsync(TestTimeouts.Io));
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal([A, V6], await addresses.GetAsync(CancellationToken.None));
            Assert.Equal([A, V6], addresses.Current());
        }

        Assert.Equal(1, resolver.Lookups);
    }

    [Fact]
    public async Task Concurrent_first_connections_share_one_lookup()
    {
        using var resolver = new ScriptedResolver();
        var (addresses, _) = Create(resolver, Long);

        var waiting = Enumerable.Range(0, 8).Select(_ => addresses.GetAsync(CancellationToken.None).AsTask()).ToArray();
        resolver.Answer([A]);

        Assert.All(await Task.WhenAll(waiting).WaitAsync(TestTimeouts.Io), answer => Assert.Equal([A], answer));
        Assert.Equal(1, resolver.Lookups);
    }

    [Fact]
    public async Task A_stale_answer_is_served_at_once_while_the_name_is_looked_up_again_and_a_change_is_logged()
    {
        using var resolver = new ScriptedResolver();
        var (addresses, logs) = Create(resolver, AlwaysStale);
        var first = addresses.LookUp();
        resolver.Answer([A]);
        await first;

        // Stale: the old answer comes back at once, and the lookup it starts beside it is the one answered next.
        var stale = addresses.GetAsync(CancellationToken.None);
        Assert.True(stale.IsCompletedSuccessfully, "A connection waited for the lookup of a stale answer.");
        Assert.Equal([A], await stale);
        resolver.Answer([B]);
        await logs.WaitForAsync(e => e.Message.EndsWith("resolves to 192.0.2.2", StringComparison.Ordinal)).WaitAsync(TestTimeouts.Io);
        Assert.Equal([B], addresses.Current());

        var resolved = logs.Entries.Where(e => e.Message.Contains("resolves to", StringComparison.Ordinal)).Select(e => e.Message).ToList();
        Assert.Equal(["Route r: target host db.internal resolves to 192.0.2.1", "Route r: target host db.internal resolves to 192.0.2.2"], resolved);
    }

    [Fact]
    public async Task A_failed_lookup_keeps_the_last_good_answer_and_warns_once_per_failing_streak()
    {
        using var resolver = new ScriptedResolver();
        var (addresses, logs) = Create(resolver, AlwaysStale);
        var first = addresses.LookUp();
        resolver.Answer([A]);
        await first;

        for (var i = 0; i < 3; i++)
        {
            var failing = addresses.LookUp();
            resolver.Fail(SocketError.TryAgain);
            Assert.Equal([A], await failing);
            Assert.Equal([A], await addresses.GetAsync(CancellationToken.None));
        }

        var warning = Assert.Single(logs.Entries, e => e.Level == LogLevel.Warning);
        Assert.Equal("Route r: target host db.internal did not resolve (TryAgain); still using 192.0.2.1, next lookup in 0 s", warning.Message);

        var recovered = addresses.LookUp();
        resolver.Answer([A]);
        await recovered;
        Assert.Equal(2, logs.Entries.Count(e => e.Message.EndsWith("resolves to 192.0.2.1", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_name_that_does_not_resolve_fails_at_once_until_its_retry_is_due()
    {
        using var resolver = new ScriptedResolver();
        var (addresses, logs) = Create(resolver, Long);

        var first = addresses.GetAsync(CancellationToken.None).AsTask();
        resolver.Fail(SocketError.HostNotFound);
        Assert.Empty(await first.WaitAsync(TestTimeouts.Io));

        // Within the retry delay, connections fail without asking the resolver again.
        Assert.Empty(await addresses.GetAsync(CancellationToken.None));
        Assert.Empty(addresses.Current());
        Assert.Equal(1, resolver.Lookups);
        var warning = Assert.Single(logs.Entries);
        Assert.Equal(
            "Route r: target host db.internal did not resolve (HostNotFound); its connections fail until it does, next lookup in 5 s", warning.Message);
    }

    [Fact]
    public async Task An_empty_answer_counts_as_a_failure()
    {
        using var resolver = new ScriptedResolver();
        var (addresses, logs) = Create(resolver, Long);

        var first = addresses.GetAsync(CancellationToken.None).AsTask();
        resolver.Answer([]);

        Assert.Empty(await first);
        Assert.Contains("did not resolve (NoData)", Assert.Single(logs.Entries).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Current_never_waits_for_a_slow_resolver()
    {
        using var resolver = new ScriptedResolver();
        var (addresses, _) = Create(resolver, Long);

        // The resolver has not answered: a UDP port's receive loop gets "nothing yet" instead of waiting.
        Assert.Empty(addresses.Current());
        Assert.Empty(addresses.Current());

        var waiting = addresses.GetAsync(CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);
        resolver.Answer([A]);
        Assert.Equal([A], await waiting);
        Assert.Equal([A], addresses.Current());
        Assert.Equal(1, resolver.Lookups);
    }

    [Fact]
    public async Task A_connection_gives_up_waiting_for_a_first_lookup_when_its_own_timeout_passes()
    {
        using var resolver = new ScriptedResolver();
        var (addresses, _) = Create(resolver, Long);
        using var timeout = new CancellationTokenSource();

        var waiting = addresses.GetAsync(timeout.Token).AsTask();
        await timeout.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        resolver.Answer([A]); // the lookup itself still finishes, for the next connection
        Assert.Equal([A], await addresses.GetAsync(CancellationToken.None));
        Assert.Equal(1, resolver.Lookups);
    }

    private static (TargetAddresses Addresses, LogCapture Logs) Create(ScriptedResolver resolver, TimeSpan refresh)
    {
        var logs = new LogCapture();
        return (new TargetAddresses("r", "db.internal", refresh, logs.CreateLogger("test"), resolver.LookUpAsync), logs);
    }

    /// <summary>A resolver whose lookups wait until the test answers or fails them, in order.</summary>
    private sealed class ScriptedResolver : IDisposable
    {
        private readonly Queue<TaskCompletionSource<IPAddress[]>> _pending = new();
        private readonly SemaphoreSlim _asked = new(0);
        private int _lookups;

        public int Lookups => Volatile.Read(ref _lookups);

        public Task<IPAddress[]> LookUpAsync(string host, CancellationToken cancellationToken)
        {
            Assert.Equal("db.internal", host);
            var answer = new TaskCompletionSource<IPAddress[]>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_pending)
            {
                _pending.Enqueue(answer);
            }

            Interlocked.Increment(ref _lookups);
            _asked.Release();
            return answer.Task;
        }

        public void Dispose() => _asked.Dispose();

        public void Answer(IPAddress[] addresses) => Next().SetResult(addresses);

        public void Fail(SocketError error) => Next().SetException(new SocketException((int)error));

        /// <summary>The oldest lookup not yet answered, once it has been asked (lookups run on the thread pool).</summary>
        private TaskCompletionSource<IPAddress[]> Next()
        {
            Assert.True(_asked.Wait(TestTimeouts.Reload), "No lookup was started.");
            lock (_pending)
            {
                return _pending.Dequeue();
            }
        }
    }
}
