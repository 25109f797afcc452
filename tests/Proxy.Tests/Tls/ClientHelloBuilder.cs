using System.Buffers.Binary;
using System.Text;

namespace Proxy.Tests.Tls;

/// <summary>Builds synthetic ClientHello bytes (RFC 8446 §4.1.2) with chosen SNI, ALPN, padding and record fragmentation.</summary>
public sealed class ClientHelloBuilder
{
    public ushort LegacyVersion { get; set; } = 0x0303;

    public byte HandshakeType { get; set; } = 1;

    /// <summary>SNI host name; null leaves the server_name extension out.</summary>
    public string? ServerName { get; set; }

    /// <summary>ALPN names; empty leaves the extension out.</summary>
    public IList<string> Protocols { get; } = [];

    /// <summary>Bytes of padding extension (RFC 7685) data; negative leaves it out.</summary>
    public int PaddingLength { get; set; } = -1;

    /// <summary>Further raw extensions, appended after the built-in ones.</summary>
    public IList<(ushort Type, byte[] Data)> ExtraExtensions { get; } = [];

    /// <summary>True to end the hello after compression methods, as pre-extension clients do.</summary>
    public bool OmitExtensionBlock { get; set; }

    public byte[] SessionId { get; set; } = new byte[32];

    public byte[] CipherSuites { get; set; } = [0x13, 0x01, 0x13, 0x02, 0xC0, 0x2F];

    public byte[] CompressionMethods { get; set; } = [0];

    /// <summary>The hello in records of at most <paramref name="maxFragment"/> body bytes each.</summary>
    public byte[] Build(int maxFragment = 16384) => ToRecords(BuildHandshake(), maxFragment);

    /// <summary>The handshake message: type, 24-bit length, body.</summary>
    public byte[] BuildHandshake()
    {
        byte[] body = BuildBody();
        var message = new byte[4 + body.Length];
        message[0] = HandshakeType;
        WriteUInt24(message.AsSpan(1), body.Length);
        body.CopyTo(message, 4);
        return message;
    }

    public byte[] BuildBody()
    {
        using var body = new MemoryStream();
        WriteUInt16(body, LegacyVersion);
        for (int i = 0; i < 32; i++)
        {
            body.WriteByte((byte)i);
        }

        body.WriteByte((byte)SessionId.Length);
        body.Write(SessionId);
        WriteUInt16(body, CipherSuites.Length);
        body.Write(CipherSuites);
        body.WriteByte((byte)CompressionMethods.Length);
        body.Write(CompressionMethods);
        if (OmitExtensionBlock)
        {
            return body.ToArray();
        }

        using var extensions = new MemoryStream();
        if (ServerName is not null)
        {
            WriteExtension(extensions, 0, SniData(ServerName));
        }

        if (Protocols.Count > 0)
        {
            WriteExtension(extensions, 16, AlpnData(Protocols));
        }

        if (PaddingLength >= 0)
        {
            WriteExtension(extensions, 21, new byte[PaddingLength]);
        }

        foreach (var (type, data) in ExtraExtensions)
        {
            WriteExtension(extensions, type, data);
        }

        WriteUInt16(body, (int)extensions.Length);
        extensions.WriteTo(body);
        return body.ToArray();
    }

    /// <summary>server_name extension data (RFC 6066 §3) holding one host_name.</summary>
    public static byte[] SniData(string host)
    {
        byte[] name = Encoding.ASCII.GetBytes(host);
        var data = new byte[5 + name.Length];
        BinaryPrimitives.WriteUInt16BigEndian(data, (ushort)(3 + name.Length));
        data[2] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(3), (ushort)name.Length);
        name.CopyTo(data, 5);
        return data;
    }

    /// <summary>ALPN extension data (RFC 7301 §3.1).</summary>
    public static byte[] AlpnData(IEnumerable<string> protocols)
    {
        using var list = new MemoryStream();
        foreach (string protocol in protocols)
        {
            byte[] name = Encoding.ASCII.GetBytes(protocol);
            list.WriteByte((byte)name.Length);
            list.Write(name);
        }

        using var data = new MemoryStream();
        WriteUInt16(data, (int)list.Length);
        list.WriteTo(data);
        return data.ToArray();
    }

    /// <summary>Wraps handshake bytes in TLS records of at most <paramref name="maxFragment"/> bytes each.</summary>
    public static byte[] ToRecords(byte[] handshake, int maxFragment, byte contentType = 22)
    {
        var sizes = new List<int>();
        for (int offset = 0; offset < handshake.Length; offset += maxFragment)
        {
            sizes.Add(Math.Min(maxFragment, handshake.Length - offset));
        }

        return ToRecords(handshake, [.. sizes], contentType);
    }

    /// <summary>Wraps handshake bytes in records with exactly the given body sizes (which must add up).</summary>
    public static byte[] ToRecords(byte[] handshake, int[] fragmentSizes, byte contentType = 22)
    {
        using var records = new MemoryStream();
        int offset = 0;
        foreach (int size in fragmentSizes)
        {
            records.WriteByte(contentType);
            WriteUInt16(records, 0x0301);
            WriteUInt16(records, size);
            records.Write(handshake, offset, size);
            offset += size;
        }

        return records.ToArray();
    }

    private static void WriteExtension(MemoryStream stream, ushort type, byte[] data)
    {
        WriteUInt16(stream, type);
        WriteUInt16(stream, data.Length);
        stream.Write(data);
    }

    private static void WriteUInt16(MemoryStream stream, int value)
    {
        stream.WriteByte((byte)(value >> 8));
        stream.WriteByte((byte)value);
    }

    private static void WriteUInt24(Span<byte> destination, int value)
    {
        destination[0] = (byte)(value >> 16);
        destination[1] = (byte)(value >> 8);
        destination[2] = (byte)value;
    }
}
