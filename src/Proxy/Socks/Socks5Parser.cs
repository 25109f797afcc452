using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Proxy.Connections;

namespace Proxy.Socks;

/// <summary>Pure parsers of the client's SOCKS5 messages, over any number of segments. Each message is small and
/// self-delimiting, so the size bound is the format's own (at most 257, 513 and 262 bytes).</summary>
internal static class Socks5Parser
{
    /// <summary>The greeting: VER NMETHODS METHODS. A version other than 5 fails at once (garbage, SOCKS4, HTTP).</summary>
    public static HandshakeStep TryParseGreeting(in ReadOnlySequence<byte> buffer, out byte[] methods, out int consumed)
    {
        methods = [];
        consumed = 0;
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryRead(out var version))
        {
            return HandshakeStep.NeedMore;
        }

        if (version != Socks5.Version)
        {
            return HandshakeStep.Failed;
        }

        if (!reader.TryRead(out var count))
        {
            return HandshakeStep.NeedMore;
        }

        if (count == 0)
        {
            return HandshakeStep.Failed;
        }

        if (reader.Remaining < count)
        {
            return HandshakeStep.NeedMore;
        }

        methods = new byte[count];
        reader.TryCopyTo(methods);
        consumed = 2 + count;
        return HandshakeStep.Done;
    }

    /// <summary>RFC 1929 username/password: VER(1) ULEN UNAME PLEN PASSWD.</summary>
    public static HandshakeStep TryParseCredentials(in ReadOnlySequence<byte> buffer, out (string User, string Password) credentials, out int consumed)
    {
        credentials = default;
        consumed = 0;
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryRead(out var version))
        {
            return HandshakeStep.NeedMore;
        }

        if (version != Socks5.AuthVersion)
        {
            return HandshakeStep.Failed;
        }

        if (!TryReadString(ref reader, out var user, out var step) || !TryReadString(ref reader, out var password, out step))
        {
            return step;
        }

        credentials = (user, password);
        consumed = (int)reader.Consumed;
        return HandshakeStep.Done;
    }

    /// <summary>The request: VER CMD RSV ATYP DST.ADDR DST.PORT. An unknown address type is still "done" (with
    /// <see cref="Socks5Request.AddressType"/> set) so the caller can answer 08, but nothing after it is consumed.</summary>
    public static HandshakeStep TryParseRequest(in ReadOnlySequence<byte> buffer, out Socks5Request? request, out int consumed)
    {
        request = null;
        consumed = 0;
        var reader = new SequenceReader<byte>(buffer);
        if (reader.Remaining < 4)
        {
            return HandshakeStep.NeedMore;
        }

        reader.TryRead(out var version);
        reader.TryRead(out var command);
        reader.TryRead(out var reserved);
        reader.TryRead(out var type);
        if (version != Socks5.Version || reserved != 0)
        {
            return HandshakeStep.Failed;
        }

        string host;
        switch (type)
        {
            case Socks5.AddressIPv4 or Socks5.AddressIPv6:
                Span<byte> address = stackalloc byte[type == Socks5.AddressIPv4 ? 4 : 16];
                if (!reader.TryCopyTo(address))
                {
                    return HandshakeStep.NeedMore;
                }

                reader.Advance(address.Length);
                host = new IPAddress(address).ToString();
                break;
            case Socks5.AddressDomain:
                if (!TryReadString(ref reader, out host, out var step))
                {
                    return step;
                }

                break;
            default:
                request = new Socks5Request(command, type, string.Empty, 0);
                consumed = 4;
                return HandshakeStep.Done;
        }

        if (!reader.TryReadBigEndian(out short port))
        {
            return HandshakeStep.NeedMore;
        }

        request = new Socks5Request(command, type, host, (ushort)port);
        consumed = (int)reader.Consumed;
        return HandshakeStep.Done;
    }

    /// <summary>A reply: VER REP RSV ATYP BND.ADDR BND.PORT, with an IPv4 or IPv6 bound address (0.0.0.0:0 if unknown).</summary>
    public static byte[] Reply(byte code, IPEndPoint? bound)
    {
        var address = bound?.Address is { } a && a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : bound?.Address ?? IPAddress.Any;
        var v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        var reply = new byte[v6 ? 22 : 10];
        reply[0] = Socks5.Version;
        reply[1] = code;
        reply[3] = v6 ? Socks5.AddressIPv6 : Socks5.AddressIPv4;
        address.TryWriteBytes(reply.AsSpan(4), out var written);
        var port = bound?.Port ?? 0;
        reply[4 + written] = (byte)(port >> 8);
        reply[5 + written] = (byte)port;
        return reply;
    }

    private static bool TryReadString(ref SequenceReader<byte> reader, out string value, out HandshakeStep step)
    {
        value = string.Empty;
        step = HandshakeStep.NeedMore;
        if (!reader.TryRead(out var length))
        {
            return false;
        }

        if (length == 0)
        {
            step = HandshakeStep.Failed;
            return false;
        }

        if (reader.Remaining < length)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[length];
        reader.TryCopyTo(bytes);
        reader.Advance(length);
        value = Encoding.UTF8.GetString(bytes);
        return true;
    }
}
