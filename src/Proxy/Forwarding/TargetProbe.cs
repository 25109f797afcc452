namespace Proxy.Forwarding;

/// <summary>Active health checks of a Forward route's targets: a TCP connect every <see cref="Interval"/>, given
/// <see cref="Timeout"/> to succeed (HAProxy's <c>check</c> on a <c>mode tcp</c> server).</summary>
internal sealed record TargetProbe(TimeSpan Interval, TimeSpan Timeout)
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(15);

    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);
}
