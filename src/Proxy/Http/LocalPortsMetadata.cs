using Proxy.Routing;

namespace Proxy.Http;

/// <summary>Endpoint metadata: the local ports an endpoint serves. Host-header ports cannot be trusted for this
/// (a client behind NAT or a default port omits or changes them), so the connection's own port decides.</summary>
internal sealed class LocalPortsMetadata(IReadOnlyList<PortRange> ports)
{
    public IReadOnlyList<PortRange> Ports { get; } = ports;

    public static LocalPortsMetadata Parse(string text)
    {
        var ranges = new List<PortRange>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (PortRange.TryParse(part, out var range))
            {
                ranges.Add(range);
            }
        }

        return new LocalPortsMetadata(ranges);
    }

    public bool Contains(int port)
    {
        foreach (var range in Ports)
        {
            if (port >= range.First && port <= range.Last)
            {
                return true;
            }
        }

        return false;
    }
}
