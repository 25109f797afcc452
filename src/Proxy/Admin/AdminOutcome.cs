using Proxy.Configuration;

namespace Proxy.Admin;

/// <summary>The result of an admin operation, mapped to an HTTP response by <see cref="AdminEndpoints"/>.</summary>
internal sealed record AdminOutcome(int Status, RouteEntry? Entry = null, string? Title = null, string? Detail = null, IReadOnlyList<ConfigError>? Errors = null)
{
    public static AdminOutcome Problem(int status, string title, string detail, IReadOnlyList<ConfigError>? errors = null)
        => new(status, null, title, detail, errors);
}
