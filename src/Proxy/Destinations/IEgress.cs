namespace Proxy.Destinations;

/// <summary>How Connect and Socks5 reach a destination: directly, or through a relay pool of egress nodes.</summary>
internal interface IEgress
{
    /// <summary>Opens a tunnel to <paramref name="host"/>:<paramref name="port"/>, or says why not.</summary>
    Task<(EgressTunnel? Tunnel, DialOutcome Outcome)> OpenAsync(string host, int port, CancellationToken cancellationToken);
}
