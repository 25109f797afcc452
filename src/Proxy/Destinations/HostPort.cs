namespace Proxy.Destinations;

/// <summary>Formats a destination the way requests name it: <c>host:port</c>, <c>[v6]:port</c>.</summary>
internal static class HostPort
{
    public static string Format(string host, int port)
        => host.Contains(':', StringComparison.Ordinal) ? $"[{host}]:{port}" : $"{host}:{port}";
}
