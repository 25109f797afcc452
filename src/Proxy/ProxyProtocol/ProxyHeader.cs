using System.Net;

namespace Proxy.ProxyProtocol;

/// <summary>A parsed PROXY protocol header (haproxy proxy-protocol.txt v1 or v2).</summary>
/// <param name="Version">1 for the text form, 2 for the binary form.</param>
/// <param name="IsLocal">
/// True for v2 LOCAL, v1 UNKNOWN and v2 UNSPEC/UNIX: the receiver must use the real socket addresses (spec §2.1, §2.2).
/// </param>
/// <param name="Source">The original client endpoint; null when <paramref name="IsLocal"/>.</param>
/// <param name="Destination">The endpoint the client connected to; null when <paramref name="IsLocal"/>.</param>
/// <param name="Length">How many bytes the header occupied, TLVs included; the payload starts after them.</param>
internal readonly record struct ProxyHeader(int Version, bool IsLocal, IPEndPoint? Source, IPEndPoint? Destination, int Length);
