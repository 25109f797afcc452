namespace Proxy.Benchmarks.Compare;

/// <summary>What one <c>tunnels</c> run printed (one JSON line).</summary>
/// <param name="Tunnels">Tunnels opened that carried a whole HTTP exchange.</param>
/// <param name="PerSecond">Tunnels / seconds of the run.</param>
/// <param name="Failures">Attempts that failed anywhere (connect, handshake answer, the HTTP exchange).</param>
/// <param name="FirstError">The first failure's message, or null.</param>
internal sealed record TunnelCounts(int Tunnels, double PerSecond, int Failures, string? FirstError);
