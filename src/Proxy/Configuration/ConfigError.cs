namespace Proxy.Configuration;

/// <summary>One validation error: which route (if any), which field, and why.</summary>
/// <param name="RouteId">The route's id, or null for a global setting.</param>
/// <param name="Field">The field path inside the route (or the <c>Proxy</c> section), e.g. <c>Match.Ports[1]</c>.</param>
/// <param name="Message">What is wrong, in a sentence.</param>
public sealed record ConfigError(string? RouteId, string Field, string Message)
{
    public override string ToString() => RouteId is null
        ? $"{Field}: {Message}"
        : $"Route '{RouteId}': {Field}: {Message}";
}
