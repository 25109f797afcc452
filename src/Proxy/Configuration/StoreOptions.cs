namespace Proxy.Configuration;

/// <summary>Where routes created through the admin API are kept (<c>Proxy:Store</c>).</summary>
public sealed record StoreOptions
{
    /// <summary>The SQLite database file, relative to the content root; default <c>data/proxy.db</c>.</summary>
    public string? Path { get; init; }
}
