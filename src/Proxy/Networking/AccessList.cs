using System.Net;

namespace Proxy.Networking;

/// <summary>An allow/deny client filter: deny wins, an empty allow list allows everyone not denied.</summary>
internal sealed class AccessList(NetworkList allow, NetworkList deny)
{
    public NetworkList Allow { get; } = allow;

    public NetworkList Deny { get; } = deny;

    public bool IsAllowed(IPAddress address)
        => !Deny.Contains(address) && (Allow.Count == 0 || Allow.Contains(address));
}
