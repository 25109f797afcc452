using System.Collections.Concurrent;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Proxy.Tests.Infrastructure;

/// <summary>A real TLS server on 127.0.0.1:0 with its own self-signed certificate: after each handshake it says
/// <c>backend:{name}\n</c>, then echoes until the client closes.</summary>
public sealed class TlsBackend : IAsyncDisposable
{
    private readonly TcpBackend _tcp;
    private readonly List<(int Count, TaskCompletionSource Done)> _handshakeWaiters = [];
    private readonly ConcurrentQueue<string> _serverNames = new();
    private readonly byte[] _greeting;
    private int _handshakes;

    /// <param name="name">Names the backend in its greeting line.</param>
    /// <param name="dnsName">The certificate's subject CN and SAN DNS name.</param>
    public TlsBackend(string name, string dnsName)
    {
        Name = name;
        Certificate = TestCertificates.Create(dnsName);
        _greeting = Encoding.ASCII.GetBytes(Greeting);
        // The TCP side (listening, accepting, stopping) is TcpBackend's; this class adds TLS and the greeting.
        _tcp = new TcpBackend(ServeAsync);
    }

    public string Name { get; }

    /// <summary>The line the backend writes after each handshake, newline included.</summary>
    public string Greeting => $"backend:{Name}\n";

    public int Port => _tcp.Port;

    public string Address => $"127.0.0.1:{Port}";

    public X509Certificate2 Certificate { get; }

    /// <summary>Handshakes completed so far.</summary>
    public int Handshakes => Volatile.Read(ref _handshakes);

    /// <summary>The SNI each completed handshake carried (empty when the client sent none).</summary>
    public IReadOnlyCollection<string> ServerNames => _serverNames;

    /// <summary>Completes once at least <paramref name="count"/> handshakes have completed.</summary>
    public Task WaitForHandshakesAsync(int count)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_handshakeWaiters)
        {
            if (Handshakes >= count)
            {
                return Task.CompletedTask;
            }

            _handshakeWaiters.Add((count, done));
        }

        return done.Task.WaitAsync(TestTimeouts.Io);
    }

    private async Task ServeAsync(Socket socket, CancellationToken stop)
    {
        // Disposing the socket on stop ends a read that is waiting inside SslStream.
        using var onStop = stop.Register(static s => ((Socket)s!).Dispose(), socket);
        using var tls = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
            timeout.CancelAfter(TestTimeouts.Io);
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = Certificate }, timeout.Token);
            _serverNames.Enqueue(tls.TargetHostName);
            CountHandshake();

            await tls.WriteAsync(_greeting, stop);
            var buffer = new byte[16 * 1024];
            int read;
            while ((read = await tls.ReadAsync(buffer, stop)) > 0)
            {
                await tls.WriteAsync(buffer.AsMemory(0, read), stop);
            }
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // A client that aborts, a refused handshake or the backend stopping: nothing to serve.
        }
    }

    private void CountHandshake()
    {
        lock (_handshakeWaiters)
        {
            var count = Interlocked.Increment(ref _handshakes);
            for (var i = _handshakeWaiters.Count - 1; i >= 0; i--)
            {
                if (_handshakeWaiters[i].Count <= count)
                {
                    _handshakeWaiters[i].Done.TrySetResult();
                    _handshakeWaiters.RemoveAt(i);
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _tcp.DisposeAsync();
        Certificate.Dispose();
    }
}
