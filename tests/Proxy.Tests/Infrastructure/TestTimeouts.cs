namespace Proxy.Tests.Infrastructure;

/// <summary>Generous bounds so a slow CI machine never fails a correct test; nothing waits for them on success.</summary>
public static class TestTimeouts
{
    public static TimeSpan Io { get; } = TimeSpan.FromSeconds(20);

    public static TimeSpan Reload { get; } = TimeSpan.FromSeconds(30);
}
