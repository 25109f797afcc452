using Proxy.Configuration;

namespace Proxy.Admin;

/// <summary>A route as the admin API shows it: where it comes from, its ETag, and the route itself.</summary>
/// <param name="Origin"><c>config</c> (appsettings.json, read-only here) or <c>api</c> (the route store).</param>
/// <param name="ETag">The route's version, for <c>If-Match</c>.</param>
/// <param name="Route">The route, in the shape of <c>Proxy:Routes</c> entries.</param>
public sealed record RouteEntry(string Origin, string ETag, RouteConfig Route);

/// <summary>Every route, with the version of the whole configuration.</summary>
/// <param name="Version">The configuration version: it changes with every applied change.</param>
/// <param name="Routes">Routes from both origins.</param>
public sealed record RouteList(long Version, IReadOnlyList<RouteEntry> Routes);

/// <summary>One validation error in a problem response.</summary>
public sealed record FieldError(string? RouteId, string Field, string Message);
