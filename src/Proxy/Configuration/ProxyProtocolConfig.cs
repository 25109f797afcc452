namespace Proxy.Configuration;

/// <summary>PROXY protocol (v1 and v2) on receive.</summary>
public sealed record ProxyProtocolConfig
{
    /// <summary><c>Off</c> (default), <c>Optional</c> or <c>Required</c>; applies only to peers in <see cref="TrustedNetworks"/>.</summary>
    public string? Mode { get; init; }

    /// <summary>Peers whose PROXY headers are believed. Anyone else is refused when the mode is <c>Required</c>
    /// and never parsed when it is <c>Optional</c>.</summary>
    public IReadOnlyList<string> TrustedNetworks { get; init; } = [];
}
