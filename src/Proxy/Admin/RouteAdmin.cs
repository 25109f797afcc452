using System.Globalization;
using Microsoft.AspNetCore.Http;
using Proxy.Configuration;
using Proxy.Hosting;
using Proxy.Store;

namespace Proxy.Admin;

/// <summary>Route CRUD for the admin API: preconditions (origin, ETag) are checked and the new route set computed under
/// the configuration lock, then the whole configuration is validated, persisted and applied by <see cref="LiveConfiguration"/>.</summary>
internal sealed class RouteAdmin(LiveConfiguration live, IRouteStore store)
{
    public const string ConfigOrigin = "config";
    public const string ApiOrigin = "api";

    private long _lastVersion;

    public RouteList List()
    {
        var entries = new List<RouteEntry>();
        foreach (var route in live.FileRoutes)
        {
            entries.Add(ConfigEntry(route));
        }

        foreach (var stored in live.ApiRoutes)
        {
            entries.Add(ApiEntry(stored));
        }

        return new RouteList(live.Current.Version, entries);
    }

    public RouteEntry? Get(string id)
    {
        foreach (var route in live.FileRoutes)
        {
            if (SameId(route.Id, id))
            {
                return ConfigEntry(route);
            }
        }

        return FindApi(live.ApiRoutes, id) is { } stored ? ApiEntry(stored) : null;
    }

    /// <summary>Creates (<paramref name="createOnly"/>: POST) or creates-or-replaces (PUT) an API route.</summary>
    public async Task<AdminOutcome> PutAsync(string id, RouteConfig route, string? ifMatch, bool createOnly, bool dryRun, string keyId, CancellationToken cancellationToken)
    {
        AdminOutcome? rejected = null;
        StoredRoute? written = null;
        var existedBefore = false;
        var result = await live.UpdateApiRoutesAsync(api =>
        {
            var existing = FindApi(api, id);
            existedBefore = existing is not null;
            rejected = Preconditions(id, existing, ifMatch, mustExist: false) ?? (createOnly && existing is not null
                ? AdminOutcome.Problem(StatusCodes.Status409Conflict, "Route exists", $"Route '{id}' already exists; use PUT /api/routes/{id} to replace it.")
                : null);
            if (rejected is not null)
            {
                return null;
            }

            written = new StoredRoute(route with { Id = existing?.Id ?? id }, NextVersion());
            var routes = Without(api, id);
            routes.Add(written);
            return new ApiRoutesUpdate
            {
                Routes = routes,
                DryRun = dryRun,
                Persist = ct => store.SaveAsync(new RouteChange(existing is null ? "create" : "replace", id, existing, written, keyId), ct),
                Compensate = ct => store.SaveAsync(new RouteChange("rollback", id, written, existing, keyId), ct),
            };
        }, cancellationToken).ConfigureAwait(false);

        return rejected ?? Outcome(result, written is null ? null : ApiEntry(written), existedBefore ? StatusCodes.Status200OK : StatusCodes.Status201Created);
    }

    public async Task<AdminOutcome> DeleteAsync(string id, string? ifMatch, string keyId, CancellationToken cancellationToken)
    {
        AdminOutcome? rejected = null;
        var result = await live.UpdateApiRoutesAsync(api =>
        {
            var existing = FindApi(api, id);
            rejected = Preconditions(id, existing, ifMatch, mustExist: true);
            if (rejected is not null || existing is null)
            {
                return null;
            }

            return new ApiRoutesUpdate
            {
                Routes = Without(api, id),
                Persist = ct => store.SaveAsync(new RouteChange("delete", id, existing, null, keyId), ct),
                Compensate = ct => store.SaveAsync(new RouteChange("rollback", id, null, existing, keyId), ct),
            };
        }, cancellationToken).ConfigureAwait(false);

        return rejected ?? Outcome(result, null, StatusCodes.Status204NoContent);
    }

    private AdminOutcome? Preconditions(string id, StoredRoute? existing, string? ifMatch, bool mustExist)
    {
        foreach (var route in live.FileRoutes)
        {
            if (SameId(route.Id, id))
            {
                return AdminOutcome.Problem(StatusCodes.Status409Conflict, "Route is read-only",
                    $"Route '{id}' comes from appsettings.json: change it in the file (it reloads on save), not through the API.");
            }
        }

        if (existing is null && (mustExist || ifMatch is not null))
        {
            return mustExist && ifMatch is null
                ? AdminOutcome.Problem(StatusCodes.Status404NotFound, "No such route", $"There is no route '{id}'.")
                : AdminOutcome.Problem(StatusCodes.Status412PreconditionFailed, "Precondition failed", $"Route '{id}' does not exist, so If-Match cannot match.");
        }

        if (existing is not null && ifMatch is not null && !ETagMatches(ifMatch, existing.Version))
        {
            return AdminOutcome.Problem(StatusCodes.Status412PreconditionFailed, "Precondition failed",
                $"Route '{id}' has changed (ETag {ETag(existing.Version)}); read it again and retry.");
        }

        return null;
    }

    private static AdminOutcome Outcome(ApplyResult result, RouteEntry? entry, int successStatus) => result.Outcome switch
    {
        ApplyOutcome.Applied => new AdminOutcome(successStatus, entry),
        ApplyOutcome.Validated => new AdminOutcome(StatusCodes.Status200OK, entry),
        ApplyOutcome.PortUnavailable => AdminOutcome.Problem(StatusCodes.Status409Conflict, "Port unavailable",
            string.Join(" ", result.Errors.Select(e => e.Message)), result.Errors),
        _ => AdminOutcome.Problem(StatusCodes.Status400BadRequest, "Invalid configuration",
            $"The change would make the configuration invalid ({result.Errors.Count} errors).", result.Errors),
    };

    /// <summary>Versions are unique across deletes and re-creates, so an old ETag never matches a new route.</summary>
    private long NextVersion()
    {
        var version = Math.Max(_lastVersion + 1, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        _lastVersion = version;
        return version;
    }

    public static string ETag(long version) => "\"" + version.ToString(CultureInfo.InvariantCulture) + "\"";

    private static bool ETagMatches(string ifMatch, long version)
    {
        foreach (var candidate in ifMatch.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var tag = candidate.StartsWith("W/", StringComparison.Ordinal) ? candidate[2..] : candidate;
            if (tag == "*" || tag == ETag(version))
            {
                return true;
            }
        }

        return false;
    }

    private RouteEntry ConfigEntry(RouteConfig route)
        => new(ConfigOrigin, "\"config-" + live.Current.Version.ToString(CultureInfo.InvariantCulture) + "\"", route);

    private static RouteEntry ApiEntry(StoredRoute stored) => new(ApiOrigin, ETag(stored.Version), stored.Route);

    private static StoredRoute? FindApi(IReadOnlyList<StoredRoute> api, string id)
    {
        foreach (var stored in api)
        {
            if (SameId(stored.Id, id))
            {
                return stored;
            }
        }

        return null;
    }

    private static List<StoredRoute> Without(IReadOnlyList<StoredRoute> api, string id)
    {
        var routes = new List<StoredRoute>(api.Count + 1);
        foreach (var stored in api)
        {
            if (!SameId(stored.Id, id))
            {
                routes.Add(stored);
            }
        }

        return routes;
    }

    private static bool SameId(string? a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
}
