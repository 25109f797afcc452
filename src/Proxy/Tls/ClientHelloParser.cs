using System.Buffers;
using System.Buffers.Binary;

namespace Proxy.Tls;

/// <summary>Pure, synchronous reader of a TLS ClientHello that may be fragmented across records and segments.</summary>
internal static class ClientHelloParser
{
    // RFC 8446 §5.1 ContentType.handshake; RFC 8446 §4 HandshakeType.client_hello.
    private const byte HandshakeContentType = 22;
    private const byte ClientHelloMessageType = 1;
    private const int RecordHeaderLength = 5;
    private const int HandshakeHeaderLength = 4;

    // RFC 8446 §5.1 / RFC 5246 §6.2.1: TLSPlaintext.length MUST NOT exceed 2^14; expansion applies only to protected records.
    private const int MaxRecordLength = 16384;

    /// <summary>
    /// Parses the ClientHello at the start of <paramref name="buffer"/>. On <see cref="ClientHelloParseStatus.Complete"/>
    /// <paramref name="info"/> is set and its Length says how many bytes of records carried the hello.
    /// </summary>
    public static ClientHelloParseStatus TryParse(in ReadOnlySequence<byte> buffer, int maxBytes, out ClientHelloInfo? info)
    {
        info = null;
        var status = ScanRecords(buffer, maxBytes, out int recordCount, out int messageLength, out int totalLength);
        if (status != ClientHelloParseStatus.Complete)
        {
            return status;
        }

        return ParseMessage(buffer, recordCount, messageLength, totalLength, out info);
    }

    // Walks record headers without copying bodies, so every non-Complete outcome is allocation free and is
    // decided from the bytes seen so far (NotTls after one byte, TooLarge as soon as a length is known).
    private static ClientHelloParseStatus ScanRecords(
        in ReadOnlySequence<byte> buffer, int maxBytes, out int recordCount, out int messageLength, out int totalLength)
    {
        recordCount = 0;
        messageLength = -1;
        totalLength = 0;
        var reader = new SequenceReader<byte>(buffer);
        Span<byte> recordHeader = stackalloc byte[RecordHeaderLength];
        Span<byte> handshakeHeader = stackalloc byte[HandshakeHeaderLength];
        int handshakeHeaderBytes = 0;
        long collected = 0;

        while (true)
        {
            long recordStart = reader.Consumed;
            int available = (int)Math.Min(RecordHeaderLength, reader.Remaining);
            reader.TryCopyTo(recordHeader[..available]);
            bool first = recordCount == 0;

            // A non-handshake first byte or a major version other than 3 is some other protocol; later in the
            // hello the same faults are a broken TLS stream (RFC 8446 §5.1: no interleaving with other types).
            if ((available >= 1 && recordHeader[0] != HandshakeContentType) || (available >= 2 && recordHeader[1] != 3))
            {
                return first ? ClientHelloParseStatus.NotTls : ClientHelloParseStatus.Invalid;
            }

            if (available < RecordHeaderLength)
            {
                long missing = messageLength >= 0 ? messageLength - collected : HandshakeHeaderLength - handshakeHeaderBytes;
                return BytesNeeded(recordStart, missing) > maxBytes
                    ? ClientHelloParseStatus.TooLarge
                    : ClientHelloParseStatus.Incomplete;
            }

            int length = BinaryPrimitives.ReadUInt16BigEndian(recordHeader[3..]);
            if (length == 0 || length > MaxRecordLength)
            {
                return ClientHelloParseStatus.Invalid;
            }

            reader.Advance(RecordHeaderLength);
            long recordEnd = reader.Consumed + length;

            // The handshake header (RFC 8446 §4) may itself straddle records; collect it byte by byte.
            int take = (int)Math.Min(Math.Min(HandshakeHeaderLength - handshakeHeaderBytes, length), reader.Remaining);
            if (take > 0)
            {
                reader.TryCopyTo(handshakeHeader.Slice(handshakeHeaderBytes, take));
                handshakeHeaderBytes += take;
                if (handshakeHeader[0] != ClientHelloMessageType)
                {
                    return ClientHelloParseStatus.Invalid;
                }

                if (handshakeHeaderBytes == HandshakeHeaderLength)
                {
                    int bodyLength = (handshakeHeader[1] << 16) | (handshakeHeader[2] << 8) | handshakeHeader[3];
                    messageLength = HandshakeHeaderLength + bodyLength;
                }
            }

            long afterRecord = collected + length;
            long stillMissing;
            if (messageLength >= 0)
            {
                // A client sends nothing else before the server's reply, so handshake bytes past the
                // ClientHello in the same record mean the lengths disagree.
                if (afterRecord > messageLength)
                {
                    return ClientHelloParseStatus.Invalid;
                }

                stillMissing = messageLength - afterRecord;
            }
            else
            {
                stillMissing = afterRecord >= HandshakeHeaderLength ? 0 : HandshakeHeaderLength - afterRecord;
            }

            if (BytesNeeded(recordEnd, stillMissing) > maxBytes)
            {
                return ClientHelloParseStatus.TooLarge;
            }

            if (reader.Remaining < length)
            {
                return ClientHelloParseStatus.Incomplete;
            }

            reader.Advance(length);
            collected = afterRecord;
            recordCount++;
            if (messageLength >= 0 && collected == messageLength)
            {
                totalLength = (int)reader.Consumed;
                return ClientHelloParseStatus.Complete;
            }
        }
    }

    // Lower bound on the total bytes needed: what we have up to position, the missing handshake bytes,
    // and one record header for every 2^14 bytes of them.
    private static long BytesNeeded(long position, long missingHandshakeBytes)
    {
        if (missingHandshakeBytes <= 0)
        {
            return position;
        }

        long records = (missingHandshakeBytes + MaxRecordLength - 1) / MaxRecordLength;
        return position + missingHandshakeBytes + (records * RecordHeaderLength);
    }

    // Gives the body parser one contiguous span: zero-copy when the hello sits in one record and one segment,
    // otherwise reassembled into a pooled buffer that is returned before this method exits.
    private static ClientHelloParseStatus ParseMessage(
        in ReadOnlySequence<byte> buffer, int recordCount, int messageLength, int totalLength, out ClientHelloInfo? info)
    {
        int bodyLength = messageLength - HandshakeHeaderLength;
        if (recordCount == 1)
        {
            var slice = buffer.Slice(RecordHeaderLength + HandshakeHeaderLength, bodyLength);
            if (slice.IsSingleSegment)
            {
                return ClientHelloBodyParser.Parse(slice.FirstSpan, totalLength, out info);
            }
        }

        byte[] rented = ArrayPool<byte>.Shared.Rent(messageLength);
        try
        {
            var reader = new SequenceReader<byte>(buffer);
            int written = 0;
            for (int i = 0; i < recordCount; i++)
            {
                reader.Advance(3);
                reader.TryReadBigEndian(out short signedLength);
                int length = (ushort)signedLength;
                reader.TryCopyTo(rented.AsSpan(written, length));
                reader.Advance(length);
                written += length;
            }

            return ClientHelloBodyParser.Parse(rented.AsSpan(HandshakeHeaderLength, bodyLength), totalLength, out info);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
