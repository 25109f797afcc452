namespace Proxy.Configuration;

/// <summary>One route: what connections it matches and what it does with them.</summary>
public sealed record RouteConfig
{
    /// <summary>Unique id, used in logs, metrics and the admin API.</summary>
    public string? Id { get; init; }

    /// <summary>Higher priority routes are matched first; default 0.</summary>
    public int? Priority { get; init; }

    /// <summary>Which connections this route takes.</summary>
    public RouteMatchConfig? Match { get; init; }

    /// <summary>What happens to a matched connection.</summary>
    public RouteActionConfig? Action { get; init; }

    /// <summary>Optional client address filter for this route, on top of the global one.</summary>
    public AclConfig? Acl { get; init; }

    /// <summary>Optional bounds overriding the global <c>Limits</c> for this route.</summary>
    public LimitsConfig? Limits { get; init; }
}
