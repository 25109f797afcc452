using Proxy.Configuration;

namespace Proxy.Store;

/// <summary>A route created through the admin API, with its version (the ETag of optimistic concurrency).</summary>
public sealed record StoredRoute(RouteConfig Route, long Version)
{
    public string Id => Route.Id!;
}
