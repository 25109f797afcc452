namespace Proxy.Configuration;

/// <summary>A user of the Connect and Socks5 actions (<c>Proxy:Users</c>). Keep passwords in environment variables or
/// user secrets (<c>Proxy__Users__0__Password</c>), not in the file.</summary>
public sealed record UserConfig
{
    public string? Name { get; init; }

    public string? Password { get; init; }
}
