using System.Buffers;
using Proxy.Connections;

namespace Proxy.ProxyProtocol;

/// <summary>Adapts <see cref="ProxyProtocolReader"/> to <see cref="ClientPeek"/>.</summary>
internal sealed class ProxyHeaderPeek(int maxBytes) : IPeekParser
{
    public ProxyHeaderParseStatus Status { get; private set; }

    public ProxyHeader Header { get; private set; }

    public bool TryDecide(in ReadOnlySequence<byte> buffer)
    {
        Status = ProxyProtocolReader.TryParse(buffer, maxBytes, out var header);
        Header = header;
        return Status != ProxyHeaderParseStatus.Incomplete;
    }
}
