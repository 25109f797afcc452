using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Proxy.Tests.Infrastructure;

/// <summary>A tiny authoritative DNS server on 127.0.0.1:0 (UDP): parses each query's question and answers an A record
/// <see cref="Answer"/> for any name (an empty NOERROR answer for other types). Malformed datagrams are ignored.</summary>
public sealed class DnsResponder : IAsyncDisposable
{
    /// <summary>The address every A query gets.</summary>
    public static readonly IPAddress Answer = IPAddress.Parse("192.0.2.1");

    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<string> _questions = new();
    private readonly Task _loop;
    private long _ignored;

    public DnsResponder()
    {
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Port = ((IPEndPoint)_socket.LocalEndPoint!).Port;
        _loop = ServeAsync();
    }

    public int Port { get; }

    /// <summary>The target as a route names it.</summary>
    public string Address => $"127.0.0.1:{Port}";

    /// <summary>The names asked so far (lower case, without the final dot), in arrival order.</summary>
    public IReadOnlyCollection<string> Questions => _questions;

    /// <summary>Datagrams that were not a well-formed query.</summary>
    public long Ignored => Interlocked.Read(ref _ignored);

    private async Task ServeAsync()
    {
        var buffer = new byte[64 * 1024];
        var any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var result = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
                var reply = Respond(buffer.AsSpan(0, result.ReceivedBytes));
                if (reply is null)
                {
                    Interlocked.Increment(ref _ignored);
                    continue;
                }

                await _socket.SendToAsync(reply, SocketFlags.None, result.RemoteEndPoint, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                // ICMP port unreachable for a client that went away; keep serving.
            }
        }
    }

    /// <summary>The response to <paramref name="query"/>, or null when it is not a well-formed single-question query.</summary>
    private byte[]? Respond(ReadOnlySpan<byte> query)
    {
        if (query.Length < 12)
        {
            return null;
        }

        var flags = BinaryPrimitives.ReadUInt16BigEndian(query[2..]);
        if ((flags & 0x8000) != 0 || BinaryPrimitives.ReadUInt16BigEndian(query[4..]) != 1)
        {
            return null; // A response, or not exactly one question.
        }

        var offset = 12;
        if (DnsPacket.ReadName(query, ref offset, allowPointers: false) is not { } name || offset + 4 > query.Length)
        {
            return null;
        }

        var type = BinaryPrimitives.ReadUInt16BigEndian(query[offset..]);
        offset += 4;
        _questions.Enqueue(name);

        var answers = type is DnsPacket.TypeA or 255 ? 1 : 0;
        var response = new byte[offset + (answers * 16)];
        query[..offset].CopyTo(response);
        // QR, the query's opcode and RD, AA and RA; RCODE 0 (NOERROR).
        BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(2), (ushort)(0x8000 | (flags & 0x7800) | 0x0400 | (flags & 0x0100) | 0x0080));
        BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(6), (ushort)answers);
        BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(8), 0);
        BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(10), 0);
        if (answers == 1)
        {
            var answer = response.AsSpan(offset);
            BinaryPrimitives.WriteUInt16BigEndian(answer, 0xC00C); // The name: a pointer to the question's.
            BinaryPrimitives.WriteUInt16BigEndian(answer[2..], DnsPacket.TypeA);
            BinaryPrimitives.WriteUInt16BigEndian(answer[4..], 1); // IN
            BinaryPrimitives.WriteUInt32BigEndian(answer[6..], 60); // TTL
            BinaryPrimitives.WriteUInt16BigEndian(answer[10..], 4);
            Answer.TryWriteBytes(answer[12..], out _);
        }

        return response;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        await _loop;
        _stop.Dispose();
    }
}

/// <summary>A DNS response as the tests read it.</summary>
public sealed record DnsResponse(ushort Id, bool IsResponse, int ResponseCode, string Question, IReadOnlyList<IPAddress> Addresses);

/// <summary>Builds DNS queries and reads responses (RFC 1035 wire format, just what the tests need).</summary>
public static class DnsPacket
{
    public const ushort TypeA = 1;

    /// <summary>A recursive query for <paramref name="name"/> with one question of type <paramref name="type"/> (class IN).</summary>
    public static byte[] Query(ushort id, string name, ushort type = TypeA)
    {
        ArgumentNullException.ThrowIfNull(name);
        var packet = new List<byte>(64);
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(header, id);
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], 0x0100); // RD
        BinaryPrimitives.WriteUInt16BigEndian(header[4..], 1);
        packet.AddRange(header.ToArray());
        foreach (var label in name.TrimEnd('.').Split('.'))
        {
            var bytes = Encoding.ASCII.GetBytes(label);
            packet.Add((byte)bytes.Length);
            packet.AddRange(bytes);
        }

        packet.Add(0);
        packet.Add((byte)(type >> 8));
        packet.Add((byte)type);
        packet.Add(0);
        packet.Add(1); // IN
        return [.. packet];
    }

    /// <summary>Reads a response: header, the question's name and every A record of the answer section.</summary>
    public static DnsResponse Read(ReadOnlySpan<byte> message)
    {
        if (message.Length < 12)
        {
            throw new InvalidDataException($"A DNS message has a 12-byte header; got {message.Length} bytes.");
        }

        var id = BinaryPrimitives.ReadUInt16BigEndian(message);
        var flags = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        var questions = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        var answers = BinaryPrimitives.ReadUInt16BigEndian(message[6..]);
        var offset = 12;
        var question = string.Empty;
        for (var i = 0; i < questions; i++)
        {
            question = ReadName(message, ref offset, allowPointers: true) ?? throw new InvalidDataException("Bad question name.");
            offset += 4;
        }

        var addresses = new List<IPAddress>();
        for (var i = 0; i < answers; i++)
        {
            _ = ReadName(message, ref offset, allowPointers: true) ?? throw new InvalidDataException("Bad answer name.");
            if (offset + 10 > message.Length)
            {
                throw new InvalidDataException("Truncated answer.");
            }

            var type = BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
            var length = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 8)..]);
            offset += 10;
            if (offset + length > message.Length)
            {
                throw new InvalidDataException("Truncated answer data.");
            }

            if (type == TypeA && length == 4)
            {
                addresses.Add(new IPAddress(message.Slice(offset, 4)));
            }

            offset += length;
        }

        return new DnsResponse(id, (flags & 0x8000) != 0, flags & 0x000F, question, addresses);
    }

    /// <summary>Reads a (possibly compressed) name at <paramref name="offset"/>, moving past it; null when malformed.</summary>
    internal static string? ReadName(ReadOnlySpan<byte> message, ref int offset, bool allowPointers)
    {
        var labels = new List<string>();
        var position = offset;
        var end = -1;
        for (var steps = 0; steps < 128; steps++)
        {
            if (position >= message.Length)
            {
                return null;
            }

            var length = message[position];
            if (length == 0)
            {
                offset = end >= 0 ? end : position + 1;
                return string.Join('.', labels).ToLowerInvariant();
            }

            if ((length & 0xC0) == 0xC0)
            {
                if (!allowPointers || position + 1 >= message.Length)
                {
                    return null;
                }

                end = end >= 0 ? end : position + 2;
                position = ((length & 0x3F) << 8) | message[position + 1];
                continue;
            }

            if (length > 63 || position + 1 + length > message.Length)
            {
                return null;
            }

            labels.Add(Encoding.ASCII.GetString(message.Slice(position + 1, length)));
            position += 1 + length;
        }

        return null;
    }
}
