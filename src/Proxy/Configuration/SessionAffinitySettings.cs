namespace Proxy.Configuration;

/// <summary>HTTP session affinity, mapped to YARP's. <c>HashCookie</c> is refused: its assembly (System.IO.Hashing) is
/// not available in this build.</summary>
public sealed record SessionAffinitySettings
{
    /// <summary><c>Cookie</c> (default), <c>ArrCookie</c> or <c>CustomHeader</c>.</summary>
    public string? Policy { get; init; }

    /// <summary>The cookie or header name carrying the affinity key.</summary>
    public string? AffinityKeyName { get; init; }
}
