using System.Diagnostics;

namespace Proxy.Relay;

/// <summary>One egress node of a pool, with its passive health: after a failed connect it is skipped for the cool-down.</summary>
internal sealed class RelayEndpoint(Uri url, string token, bool acceptAnyCertificate)
{
    private long _downUntil;

    public Uri Url { get; } = url;

    public string Token { get; } = token;

    public bool AcceptAnyCertificate { get; } = acceptAnyCertificate;

    public bool IsHealthy => Stopwatch.GetTimestamp() >= Volatile.Read(ref _downUntil);

    public void MarkDown(TimeSpan coolDown)
        => Volatile.Write(ref _downUntil, Stopwatch.GetTimestamp() + (long)(coolDown.TotalSeconds * Stopwatch.Frequency));

    public void MarkUp() => Volatile.Write(ref _downUntil, 0);
}
