namespace Proxy.Configuration;

/// <summary>Client address filter: CIDR or single-address entries; deny wins; an empty allow list allows all.</summary>
public sealed record AclConfig
{
    /// <summary>Addresses or CIDR ranges allowed; empty means every address not denied.</summary>
    public IReadOnlyList<string> Allow { get; init; } = [];

    /// <summary>Addresses or CIDR ranges refused, whatever <see cref="Allow"/> says.</summary>
    public IReadOnlyList<string> Deny { get; init; } = [];
}
