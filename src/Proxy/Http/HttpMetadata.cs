namespace Proxy.Http;

/// <summary>Keys of the metadata the proxy puts on YARP routes and clusters.</summary>
internal static class HttpMetadata
{
    /// <summary>The local ports a route serves, as port ranges separated by commas.</summary>
    public const string Ports = "Proxy.Ports";

    /// <summary>The snapshot version a route came from, to tell when YARP has applied a change.</summary>
    public const string Version = "Proxy.Version";

    public const string RedirectTo = "Proxy.RedirectTo";

    /// <summary>On a Relay route: its id, so the relay middleware finds the route's compiled action.</summary>
    public const string Relay = "Proxy.Relay";

    public const string RedirectStatus = "Proxy.RedirectStatus";

    /// <summary>On a cluster: the connect timeout for its targets, in milliseconds.</summary>
    public const string ConnectTimeout = "Proxy.ConnectTimeout";
}
