namespace Proxy.Connect;

/// <summary>A parsed HTTP CONNECT request: the authority-form target and the one header the proxy needs.</summary>
internal sealed record ConnectRequest(string Host, int Port, string? ProxyAuthorization)
{
    public string Target => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
