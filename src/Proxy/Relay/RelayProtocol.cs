using System.Net.WebSockets;
using Proxy.Destinations;

namespace Proxy.Relay;

/// <summary>The CONNECT-over-WebSocket protocol between an ingress and an egress node (<c>relay.v1</c>): the
/// destination travels in a request header with a bearer token; the egress answers the upgrade only once the
/// destination is connected, or refuses it with a status and an error code; then binary messages carry the bytes
/// and a text message <c>fin</c> carries a half-close.</summary>
internal static class RelayProtocol
{
    public const string SubProtocol = "relay.v1";
    public const string DestinationHeader = "X-Relay-Destination";
    public const string ErrorHeader = "X-Relay-Error";
    public const string DefaultPath = "/relay/v1/tcp";

    /// <summary>The largest binary message either side sends.</summary>
    public const int MaxMessageBytes = 64 * 1024;

    /// <summary>The text message that says "I will send no more" (the sender's FIN).</summary>
    public static ReadOnlyMemory<byte> Fin { get; } = "fin"u8.ToArray();

    public static readonly TimeSpan DefaultKeepAliveInterval = TimeSpan.FromSeconds(20);
    public static readonly TimeSpan DefaultKeepAliveTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Close codes: normal end, the destination failed, or a policy (limit, idle timeout) ended the tunnel.</summary>
    public const WebSocketCloseStatus Normal = WebSocketCloseStatus.NormalClosure;
    public const WebSocketCloseStatus Error = WebSocketCloseStatus.InternalServerError;
    public const WebSocketCloseStatus Policy = WebSocketCloseStatus.PolicyViolation;

    public static string ErrorCode(DialOutcome outcome) => outcome switch
    {
        DialOutcome.Forbidden => "forbidden",
        DialOutcome.DnsFailed => "dns",
        DialOutcome.Refused => "refused",
        DialOutcome.NetworkUnreachable => "network-unreachable",
        DialOutcome.HostUnreachable => "host-unreachable",
        DialOutcome.TimedOut => "timeout",
        _ => "failed",
    };

    public static DialOutcome Outcome(string? errorCode) => errorCode switch
    {
        "forbidden" => DialOutcome.Forbidden,
        "dns" => DialOutcome.DnsFailed,
        "refused" => DialOutcome.Refused,
        "network-unreachable" => DialOutcome.NetworkUnreachable,
        "host-unreachable" => DialOutcome.HostUnreachable,
        "timeout" => DialOutcome.TimedOut,
        _ => DialOutcome.Failed,
    };

    public static int Status(DialOutcome outcome) => outcome switch
    {
        DialOutcome.Forbidden => 403,
        DialOutcome.TimedOut => 504,
        _ => 502,
    };
}
