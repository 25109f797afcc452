using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace Proxy.Benchmarks.Compare;

/// <summary><c>handshakes PORT RATE SECONDS CERT_A CERT_B</c>: the load of the SNI measure, run as a child process on the
/// load core. Starts RATE connections a second to 127.0.0.1:PORT on a fixed schedule for SECONDS, each a full TLS
/// handshake (no resumption) with the server name alternating <see cref="NameA"/> and <see cref="NameB"/>, then closes
/// it. The certificate received must be the one (PEM file) of the backend that name routes to, else it is a misroute.
/// Prints one JSON line (<see cref="HandshakeCounts"/>).</summary>
internal static class HandshakeLoad
{
    public const string NameA = "a.bench.test";
    public const string NameB = "b.bench.test";

    /// <summary>Handshakes in flight at most; a start due while this many are open is skipped and counted.</summary>
    public const int MaxInFlight = 256;

    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(2);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        if (args.Count != 5
            || !int.TryParse(args[0], NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || !int.TryParse(args[1], NumberStyles.None, CultureInfo.InvariantCulture, out var rate)
            || !int.TryParse(args[2], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || rate == 0)
        {
            await Console.Error.WriteLineAsync("usage: handshakes PORT RATE SECONDS CERT_A.pem CERT_B.pem").ConfigureAwait(false);
            return 2;
        }

        using var certificateA = X509Certificate2.CreateFromPem(File.ReadAllText(args[3]));
        using var certificateB = X509Certificate2.CreateFromPem(File.ReadAllText(args[4]));
        byte[][] expected = [certificateA.GetCertHash(HashAlgorithmName.SHA256), certificateB.GetCertHash(HashAlgorithmName.SHA256)];

        // The chain is built against the two certificates only: no system store to search on every handshake.
        var chainPolicy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        chainPolicy.CustomTrustStore.Add(certificateA);
        chainPolicy.CustomTrustStore.Add(certificateB);
        var endpoint = new IPEndPoint(IPAddress.Loopback, port);
        var tally = new Tally();
        var total = rate * seconds;
        var tasks = new List<Task>(total);
        var started = 0;
        var skipped = 0;
        using var inFlight = new SemaphoreSlim(MaxInFlight);
        using var timer = new PeriodicTimer(Tick);
        var clock = Stopwatch.StartNew();

        // Start i is due at i / RATE seconds: each tick starts every start that has come due, so a late tick catches up.
        while (started < total)
        {
            var due = Math.Min(total, (int)(clock.Elapsed.TotalSeconds * rate) + 1);
            for (; started < due; started++)
            {
                if (!await inFlight.WaitAsync(0).ConfigureAwait(false))
                {
                    skipped++;
                    continue;
                }

                var index = started % 2;
                tasks.Add(HandshakeAsync(endpoint, index, expected, chainPolicy, tally, inFlight));
            }

            await timer.WaitForNextTickAsync().ConfigureAwait(false);
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        var elapsed = clock.Elapsed.TotalSeconds;
        var counts = new HandshakeCounts(rate, tally.Handshakes, tally.Handshakes / elapsed, tally.Failures, tally.Misroutes, skipped, tally.FirstError);
        Console.WriteLine(JsonSerializer.Serialize(counts));
        return 0;
    }

    private static async Task HandshakeAsync(
        IPEndPoint endpoint, int index, byte[][] expected, X509ChainPolicy chainPolicy, Tally tally, SemaphoreSlim inFlight)
    {
        try
        {
            using var timeout = new CancellationTokenSource(Timeout);
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(endpoint, timeout.Token).ConfigureAwait(false);
            await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: true));
            var received = -1;
            var options = new SslClientAuthenticationOptions
            {
                TargetHost = index == 0 ? NameA : NameB,

                // Self-signed backends: pinned to their two certificates, and which one answered decides the route.
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    var hash = certificate?.GetCertHash(HashAlgorithmName.SHA256) ?? [];
                    received = Array.FindIndex(expected, e => CryptographicOperations.FixedTimeEquals(e, hash));
                    return received >= 0;
                },

                // The backends keep no sessions and send no tickets, so every handshake is a full one.
                CertificateChainPolicy = chainPolicy,
            };
            await tls.AuthenticateAsClientAsync(options, timeout.Token).ConfigureAwait(false);
            Interlocked.Increment(ref received == index ? ref tally.Handshakes : ref tally.Misroutes);
        }
        catch (Exception ex) when (ex is SocketException or IOException or AuthenticationException or OperationCanceledException)
        {
            Interlocked.Increment(ref tally.Failures);
            Interlocked.CompareExchange(ref tally.FirstError, $"{ex.GetType().Name}: {ex.Message}", null);
        }
        finally
        {
            inFlight.Release();
        }
    }

    /// <summary>Counters the concurrent handshakes add to.</summary>
    private sealed class Tally
    {
        public int Handshakes;
        public int Failures;
        public int Misroutes;
        public string? FirstError;
    }
}
