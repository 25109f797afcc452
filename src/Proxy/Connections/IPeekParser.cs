using System.Buffers;

namespace Proxy.Connections;

/// <summary>A parser run over the bytes a client has sent so far, without consuming them.</summary>
internal interface IPeekParser
{
    /// <summary>True once the parser has decided (parsed, or found the bytes are not its protocol); false for "need more".</summary>
    bool TryDecide(in ReadOnlySequence<byte> buffer);
}
