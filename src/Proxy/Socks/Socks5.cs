namespace Proxy.Socks;

/// <summary>SOCKS5 constants: RFC 1928 (protocol) and RFC 1929 (username/password).</summary>
internal static class Socks5
{
    public const byte Version = 5;
    public const byte AuthVersion = 1;

    public const byte MethodNoAuth = 0x00;
    public const byte MethodUserPassword = 0x02;
    public const byte MethodNoneAcceptable = 0xFF;

    public const byte CommandConnect = 1;
    public const byte CommandBind = 2;
    public const byte CommandUdpAssociate = 3;

    public const byte AddressIPv4 = 1;
    public const byte AddressDomain = 3;
    public const byte AddressIPv6 = 4;

    /// <summary>Reply codes (RFC 1928 §6).</summary>
    public const byte Succeeded = 0x00, GeneralFailure = 0x01, NotAllowed = 0x02, NetworkUnreachable = 0x03, HostUnreachable = 0x04,
        ConnectionRefused = 0x05, TtlExpired = 0x06, CommandNotSupported = 0x07, AddressTypeNotSupported = 0x08;
}
