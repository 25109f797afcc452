namespace Proxy.Tls;

/// <summary>Fatal TLS alerts sent in plaintext before any handshake, the polite way to refuse a ClientHello.</summary>
internal static class TlsAlert
{
    /// <summary>Alert record (type 21, TLS 1.2 record version), level fatal (2), unrecognized_name (112); RFC 6066 §3.</summary>
    public static ReadOnlySpan<byte> UnrecognizedName => [21, 3, 3, 0, 2, 2, 112];

    /// <summary>Fatal decode_error (50): the ClientHello could not be parsed; RFC 8446 §6.2.</summary>
    public static ReadOnlySpan<byte> DecodeError => [21, 3, 3, 0, 2, 2, 50];
}
