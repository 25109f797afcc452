using System.Net;
using System.Net.Sockets;
using Proxy.Networking;

namespace Proxy.Destinations;

/// <summary>Resolves and dials a destination under a <see cref="DestinationPolicy"/>, checking the addresses it actually
/// dials, with one timeout for resolution and connection together.</summary>
internal static class DestinationDialer
{
    public static async Task<(Socket? Socket, DialOutcome Outcome)> ConnectAsync(
        string host, int port, DestinationPolicy policy, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        IPAddress[] candidates;
        if (IpAddressText.TryParse(host, out var literal))
        {
            if (!policy.AllowsAddress(literal, port, nameAllowed: false))
            {
                return (null, DialOutcome.Forbidden);
            }

            candidates = [literal];
        }
        else
        {
            if (!policy.AllowsName(host, port))
            {
                return (null, DialOutcome.Forbidden);
            }

            IPAddress[] resolved;
            try
            {
                resolved = await Dns.GetHostAddressesAsync(host, cts.Token).ConfigureAwait(false);
            }
            catch (SocketException)
            {
                return (null, DialOutcome.DnsFailed);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return (null, DialOutcome.TimedOut);
            }

            if (resolved.Length == 0)
            {
                return (null, DialOutcome.DnsFailed);
            }

            candidates = Array.FindAll(resolved, address => policy.AllowsAddress(address, port, nameAllowed: true));
            if (candidates.Length == 0)
            {
                return (null, DialOutcome.Forbidden); // e.g. a public name resolving to 127.0.0.1 (DNS rebinding).
            }
        }

        var outcome = DialOutcome.Failed;
        foreach (var address in candidates)
        {
            // A socket of the address's own family: a dual-mode one costs four more system calls per tunnel (setting and
            // reading IPV6_V6ONLY) and carries IPv4 as mapped IPv6 addresses.
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), cts.Token).ConfigureAwait(false);
                return (socket, DialOutcome.Connected);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                socket.Dispose();
                return (null, DialOutcome.TimedOut);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                outcome = ex.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => DialOutcome.Refused,
                    SocketError.NetworkUnreachable or SocketError.NetworkDown => DialOutcome.NetworkUnreachable,
                    SocketError.HostUnreachable or SocketError.HostDown => DialOutcome.HostUnreachable,
                    SocketError.TimedOut => DialOutcome.TimedOut,
                    _ => DialOutcome.Failed,
                };
            }
        }

        return (null, outcome);
    }
}
