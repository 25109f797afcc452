namespace Proxy.Store;

/// <summary>Durable storage of the routes created through the admin API. The embedded implementation is SQLite; a
/// shared database for a fleet of replicas implements the same contract.</summary>
public interface IRouteStore
{
    /// <summary>Every stored route (creating the store on first use).</summary>
    Task<IReadOnlyList<StoredRoute>> LoadAsync(CancellationToken cancellationToken);

    /// <summary>Applies <paramref name="change"/> and appends its audit record atomically: after a crash either both
    /// are there or neither is.</summary>
    Task SaveAsync(RouteChange change, CancellationToken cancellationToken);

    /// <summary>The newest audit records, newest first.</summary>
    Task<IReadOnlyList<AuditRecord>> ReadAuditAsync(int limit, CancellationToken cancellationToken);
}
