namespace Proxy.Configuration;

/// <summary>An HTTP route's header condition, in YARP's shape.</summary>
public sealed record HeaderMatchConfig
{
    public string? Name { get; init; }

    public IReadOnlyList<string> Values { get; init; } = [];

    /// <summary>YARP's <c>HeaderMatchMode</c>: <c>ExactHeader</c> (default), <c>HeaderPrefix</c>, <c>Contains</c>,
    /// <c>NotContains</c>, <c>Exists</c>, <c>NotExists</c>.</summary>
    public string? Mode { get; init; }

    public bool IsCaseSensitive { get; init; }
}
