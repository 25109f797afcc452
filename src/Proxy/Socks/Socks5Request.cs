namespace Proxy.Socks;

/// <summary>A SOCKS5 request (RFC 1928 §4): the command and the destination as the client named it.</summary>
/// <param name="Command">1 CONNECT, 2 BIND, 3 UDP ASSOCIATE.</param>
/// <param name="AddressType">1 IPv4, 3 domain name, 4 IPv6.</param>
/// <param name="Host">The address or name, as text.</param>
/// <param name="Port">The destination port.</param>
internal sealed record Socks5Request(byte Command, byte AddressType, string Host, int Port)
{
    public string Target => AddressType == Socks5.AddressIPv6 ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
