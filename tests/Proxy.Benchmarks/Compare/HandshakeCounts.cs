namespace Proxy.Benchmarks.Compare;

/// <summary>What one <c>handshakes</c> run printed (one JSON line): the rate it was asked for and achieved, and what
/// went wrong.</summary>
/// <param name="Target">Handshakes per second asked for.</param>
/// <param name="Handshakes">Full TLS handshakes completed with the certificate of the backend the SNI names.</param>
/// <param name="PerSecond">Handshakes / seconds from the first start to the last end.</param>
/// <param name="Failures">Connections that failed (refused, reset, timed out, handshake error).</param>
/// <param name="Misroutes">Handshakes that completed with the other backend's certificate.</param>
/// <param name="Skipped">Starts not made because <see cref="HandshakeLoad.MaxInFlight"/> were still in flight (the path
/// could not keep up with the rate).</param>
/// <param name="FirstError">The first failure's message, or null.</param>
internal sealed record HandshakeCounts(int Target, int Handshakes, double PerSecond, int Failures, int Misroutes, int Skipped, string? FirstError);
