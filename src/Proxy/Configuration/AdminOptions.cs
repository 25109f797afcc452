namespace Proxy.Configuration;

/// <summary>The admin API (<c>Proxy:Admin</c>): where it listens (read at startup) and who may use it (the keys follow
/// every reload).</summary>
public sealed record AdminOptions
{
    /// <summary>Listen URLs; default <c>http://127.0.0.1:9900</c>. A non-loopback address requires <see cref="ApiKeys"/>.</summary>
    public IReadOnlyList<string> Urls { get; init; } = [];

    /// <summary>Keys accepted in <c>X-Api-Key</c> or <c>Authorization: Bearer</c>; the id is what the audit log records.</summary>
    public IReadOnlyList<ApiKeyConfig> ApiKeys { get; init; } = [];

    /// <summary>How long connections of a deleted route may continue before they are closed; default 30 s.</summary>
    public TimeSpan? DrainTimeout { get; init; }
}

/// <summary>One admin API key.</summary>
public sealed record ApiKeyConfig
{
    /// <summary>A name for the key, recorded in the audit log (never the key itself).</summary>
    public string? Id { get; init; }

    /// <summary>The secret; keep it in an environment variable or user secrets, not in the file.</summary>
    public string? Key { get; init; }
}
