using Proxy.Configuration;

namespace Proxy.Store;

/// <summary>One change to the API routes, written with its audit record in a single transaction.</summary>
/// <param name="Action"><c>create</c>, <c>replace</c>, <c>delete</c> or <c>rollback</c>.</param>
/// <param name="RouteId">The route changed.</param>
/// <param name="Before">The route before the change, null when it did not exist.</param>
/// <param name="After">The route after the change, null when it was deleted.</param>
/// <param name="KeyId">The id of the admin API key that asked for it.</param>
public sealed record RouteChange(string Action, string RouteId, StoredRoute? Before, StoredRoute? After, string KeyId);
