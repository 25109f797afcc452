using System.Buffers;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Connections.Features;
using Proxy.Connections;
using Proxy.Destinations;
using Proxy.Routing;

namespace Proxy.Connect;

/// <summary>The Connect action: an HTTP CONNECT forward proxy (curl <c>-x</c>, <c>HTTPS_PROXY</c>). Reads the request
/// head (bounded in size and time), authenticates, opens the tunnel directly or through a relay, answers 200 only once
/// the destination is connected (403/502/504 otherwise), then relays bytes; nothing HTTP is written after the 200.</summary>
internal sealed class ConnectAction(IEgress egress, UserDirectory users, bool allowAnonymous) : IRouteAction
{
    public const int MaxHeadBytes = 8 * 1024;
    public static readonly TimeSpan HeadTimeout = TimeSpan.FromSeconds(10);

    public async Task ExecuteAsync(ProxyConnection connection)
    {
        ConnectParseStatus status;
        ConnectRequest? request;
        bool timedOut;
        using (var reader = new HandshakeReader(connection.Context.Transport.Input, HeadTimeout))
        {
            (_, (status, request)) = await reader.ReadAsync<(ConnectParseStatus, ConnectRequest?)>(ParseHead).ConfigureAwait(false);
            timedOut = reader.TimedOut;
        }

        if (request is null)
        {
            await RefuseAsync(connection, status switch
            {
                ConnectParseStatus.Incomplete when timedOut => (408, "Request Timeout", $"no complete request within {HeadTimeout.TotalSeconds} s", null),
                ConnectParseStatus.MethodNotAllowed => (405, "Method Not Allowed", "only CONNECT is served here", "Allow: CONNECT\r\n"),
                ConnectParseStatus.TooLarge => (431, "Request Header Fields Too Large", $"the request head is over {MaxHeadBytes} bytes", null),
                ConnectParseStatus.BadRequest => (400, "Bad Request", "expected CONNECT host:port HTTP/1.1", null),
                _ => (0, string.Empty, string.Empty, null),
            }, timedOut && status == ConnectParseStatus.Incomplete ? CloseReason.HandshakeTimeout : CloseReason.BadRequest).ConfigureAwait(false);
            return;
        }

        connection.Target = request.Target;
        connection.User = allowAnonymous ? null : users.VerifyBasic(request.ProxyAuthorization);
        if (!allowAnonymous && connection.User is null)
        {
            await RefuseAsync(connection, (407, "Proxy Authentication Required", "credentials are required",
                "Proxy-Authenticate: Basic realm=\"proxy\", charset=\"UTF-8\"\r\n"), CloseReason.AuthFailed).ConfigureAwait(false);
            return;
        }

        var shutdown = connection.Context.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? default;
        var (tunnel, outcome) = await egress.OpenAsync(request.Host, request.Port, shutdown).ConfigureAwait(false);
        if (tunnel is null)
        {
            await RefuseAsync(connection, outcome switch
            {
                DialOutcome.Forbidden => (403, "Forbidden", "the destination is not allowed", null),
                DialOutcome.TimedOut => (504, "Gateway Timeout", "the destination did not answer in time", null),
                DialOutcome.DnsFailed => (502, "Bad Gateway", "the destination name does not resolve", null),
                DialOutcome.Refused => (502, "Bad Gateway", "the destination refused the connection", null),
                DialOutcome.NetworkUnreachable or DialOutcome.HostUnreachable => (502, "Bad Gateway", "the destination is unreachable", null),
                _ => (502, "Bad Gateway", "the destination could not be reached", null),
            }, Reason(outcome)).ConfigureAwait(false);
            return;
        }

        await using (tunnel.ConfigureAwait(false))
        {
            connection.Target = tunnel.Description;
            if (!await ClientResponse.SendAsync(connection, "HTTP/1.1 200 Connection established\r\n\r\n"u8.ToArray()).ConfigureAwait(false))
            {
                connection.Refuse(CloseReason.ClientReset);
                return;
            }

            connection.Reason = await tunnel.RelayAsync(connection, connection.Route!.Limits.IdleTimeout, shutdown).ConfigureAwait(false);
        }
    }

    public static CloseReason Reason(DialOutcome outcome) => outcome switch
    {
        DialOutcome.Forbidden => CloseReason.Forbidden,
        DialOutcome.TimedOut => CloseReason.TargetTimeout,
        DialOutcome.DnsFailed => CloseReason.DnsFailed,
        DialOutcome.Refused => CloseReason.TargetRefused,
        DialOutcome.NetworkUnreachable or DialOutcome.HostUnreachable => CloseReason.TargetUnreachable,
        _ => CloseReason.ConnectFailed,
    };

    private static HandshakeStep ParseHead(in ReadOnlySequence<byte> buffer, out (ConnectParseStatus, ConnectRequest?) result, out int consumed)
    {
        var status = ConnectRequestParser.TryParse(buffer, MaxHeadBytes, out var request, out consumed);
        result = (status, request);
        return status switch
        {
            ConnectParseStatus.Complete => HandshakeStep.Done,
            ConnectParseStatus.Incomplete => HandshakeStep.NeedMore,
            _ => HandshakeStep.Failed,
        };
    }

    private static async Task RefuseAsync(ProxyConnection connection, (int Status, string Phrase, string Reason, string? Header) answer, CloseReason reason)
    {
        connection.Refuse(reason);
        if (answer.Status == 0)
        {
            return; // The client went away before sending a whole request: nobody to answer.
        }

        var body = answer.Reason + "\n";
        var response = string.Create(CultureInfo.InvariantCulture,
            $"HTTP/1.1 {answer.Status} {answer.Phrase}\r\n{answer.Header}Content-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}");
        await ClientResponse.SendAsync(connection, Encoding.ASCII.GetBytes(response)).ConfigureAwait(false);
    }
}
