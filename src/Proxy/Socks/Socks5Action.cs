using Microsoft.AspNetCore.Connections.Features;
using Proxy.Connect;
using Proxy.Connections;
using Proxy.Destinations;
using Proxy.Routing;

namespace Proxy.Socks;

/// <summary>The Socks5 action (RFC 1928 CONNECT with RFC 1929 username/password): greeting, authentication and request
/// under one 10 s deadline, pipelined or split in any way; the reply is sent only once the outcome is known; then the
/// connection is a byte pipe, directly or through a relay pool.</summary>
internal sealed class Socks5Action(IEgress egress, UserDirectory users, bool allowAnonymous) : IRouteAction
{
    public static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    public async Task ExecuteAsync(ProxyConnection connection)
    {
        Socks5Request? request;
        using (var reader = new HandshakeReader(connection.Context.Transport.Input, HandshakeTimeout))
        {
            request = await HandshakeAsync(connection, reader).ConfigureAwait(false);
        }

        if (request is null)
        {
            return;
        }

        if (request.AddressType is not (Socks5.AddressIPv4 or Socks5.AddressDomain or Socks5.AddressIPv6))
        {
            await ReplyAsync(connection, Socks5.AddressTypeNotSupported, CloseReason.BadRequest).ConfigureAwait(false);
            return;
        }

        // A domain is the client's bytes: only a real host name goes on to DNS, a request header or the log.
        if (request.AddressType == Socks5.AddressDomain && !HostPort.IsHostName(request.Host))
        {
            await ReplyAsync(connection, Socks5.HostUnreachable, CloseReason.BadRequest).ConfigureAwait(false);
            return;
        }

        connection.Target = request.Target;
        if (request.Command != Socks5.CommandConnect)
        {
            // BIND and UDP ASSOCIATE are not implemented (RFC 1928 §6: X'07').
            await ReplyAsync(connection, Socks5.CommandNotSupported, CloseReason.BadRequest).ConfigureAwait(false);
            return;
        }

        var shutdown = connection.Context.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? default;
        var (tunnel, outcome) = await egress.OpenAsync(request.Host, request.Port, shutdown).ConfigureAwait(false);
        if (tunnel is null)
        {
            await ReplyAsync(connection, Code(outcome), ConnectAction.Reason(outcome)).ConfigureAwait(false);
            return;
        }

        await using (tunnel.ConfigureAwait(false))
        {
            connection.Target = tunnel.Description;
            connection.ReplyCode = Socks5.Succeeded;
            if (!await ClientResponse.SendAsync(connection, Socks5Parser.Reply(Socks5.Succeeded, tunnel.BoundEndPoint)).ConfigureAwait(false))
            {
                connection.Refuse(CloseReason.ClientReset);
                return;
            }

            connection.Reason = await tunnel.RelayAsync(connection, connection.Route!.Limits.IdleTimeout, shutdown).ConfigureAwait(false);
        }
    }

    private async Task<Socks5Request?> HandshakeAsync(ProxyConnection connection, HandshakeReader reader)
    {
        var (step, methods) = await reader.ReadAsync<byte[]>(Socks5Parser.TryParseGreeting).ConfigureAwait(false);
        if (step != HandshakeStep.Done)
        {
            connection.Refuse(step == HandshakeStep.Failed ? CloseReason.BadRequest : Incomplete(reader));
            return null;
        }

        // No-auth only where the route allows anonymous clients (validation limits that to loopback-only ACLs).
        var method = allowAnonymous && Array.IndexOf(methods, Socks5.MethodNoAuth) >= 0 ? Socks5.MethodNoAuth
            : users.Count > 0 && Array.IndexOf(methods, Socks5.MethodUserPassword) >= 0 ? Socks5.MethodUserPassword
            : Socks5.MethodNoneAcceptable;
        if (!await ClientResponse.SendAsync(connection, new byte[] { Socks5.Version, method }).ConfigureAwait(false) || method == Socks5.MethodNoneAcceptable)
        {
            connection.Refuse(CloseReason.AuthFailed);
            return null;
        }

        if (method == Socks5.MethodUserPassword)
        {
            var (authStep, credentials) = await reader.ReadAsync<(string User, string Password)>(Socks5Parser.TryParseCredentials).ConfigureAwait(false);
            var valid = authStep == HandshakeStep.Done && users.Verify(credentials.User, credentials.Password);
            if (authStep != HandshakeStep.NeedMore)
            {
                await ClientResponse.SendAsync(connection, new byte[] { Socks5.AuthVersion, valid ? (byte)0 : (byte)1 }).ConfigureAwait(false);
            }

            if (!valid)
            {
                connection.Refuse(authStep == HandshakeStep.NeedMore ? Incomplete(reader) : CloseReason.AuthFailed);
                return null;
            }

            connection.User = credentials.User;
        }

        var (requestStep, request) = await reader.ReadAsync<Socks5Request?>(Socks5Parser.TryParseRequest).ConfigureAwait(false);
        if (requestStep == HandshakeStep.Done)
        {
            return request;
        }

        if (requestStep == HandshakeStep.Failed)
        {
            await ReplyAsync(connection, Socks5.GeneralFailure, CloseReason.BadRequest).ConfigureAwait(false);
        }
        else
        {
            connection.Refuse(Incomplete(reader));
        }

        return null;
    }

    private static CloseReason Incomplete(HandshakeReader reader) => reader.TimedOut ? CloseReason.HandshakeTimeout : CloseReason.ClientReset;

    private static byte Code(DialOutcome outcome) => outcome switch
    {
        DialOutcome.Forbidden => Socks5.NotAllowed,
        DialOutcome.NetworkUnreachable => Socks5.NetworkUnreachable,
        DialOutcome.HostUnreachable or DialOutcome.DnsFailed => Socks5.HostUnreachable,
        DialOutcome.Refused => Socks5.ConnectionRefused,
        DialOutcome.TimedOut => Socks5.TtlExpired,
        _ => Socks5.GeneralFailure,
    };

    private static async Task ReplyAsync(ProxyConnection connection, byte code, CloseReason reason)
    {
        connection.Refuse(reason);
        connection.ReplyCode = code;
        await ClientResponse.SendAsync(connection, Socks5Parser.Reply(code, null)).ConfigureAwait(false);
    }
}
