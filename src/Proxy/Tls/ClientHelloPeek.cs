using System.Buffers;
using Proxy.Connections;

namespace Proxy.Tls;

/// <summary>Adapts <see cref="ClientHelloParser"/> to <see cref="ClientPeek"/>.</summary>
internal sealed class ClientHelloPeek(int maxBytes) : IPeekParser
{
    public ClientHelloParseStatus Status { get; private set; } = ClientHelloParseStatus.Incomplete;

    public ClientHelloInfo? Info { get; private set; }

    public bool TryDecide(in ReadOnlySequence<byte> buffer)
    {
        Status = ClientHelloParser.TryParse(buffer, maxBytes, out var info);
        Info = info;
        return Status != ClientHelloParseStatus.Incomplete;
    }
}
