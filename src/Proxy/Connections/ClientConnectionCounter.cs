using System.Collections.Concurrent;
using System.Net;

namespace Proxy.Connections;

/// <summary>Counts concurrent connections per client address, lock-free, forgetting an address when it reaches zero.</summary>
internal sealed class ClientConnectionCounter
{
    private readonly ConcurrentDictionary<IPAddress, int> _counts = new();

    public int this[IPAddress address] => _counts.TryGetValue(Normalize(address), out var count) ? count : 0;

    public int Addresses => _counts.Count;

    /// <summary>Counts one more connection from <paramref name="address"/> unless that would exceed <paramref name="limit"/>.</summary>
    public bool TryAcquire(IPAddress address, int limit)
    {
        address = Normalize(address);
        if (_counts.AddOrUpdate(address, 1, static (_, count) => count + 1) <= limit)
        {
            return true;
        }

        Release(address);
        return false;
    }

    public void Release(IPAddress address)
    {
        address = Normalize(address);
        _counts.AddOrUpdate(address, 0, static (_, count) => count - 1);
        // Removes only if still zero, so a concurrent TryAcquire is never lost.
        _counts.TryRemove(new KeyValuePair<IPAddress, int>(address, 0));
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
