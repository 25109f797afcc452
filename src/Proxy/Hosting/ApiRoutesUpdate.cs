using Proxy.Store;

namespace Proxy.Hosting;

/// <summary>What an admin API change wants done to the API routes, computed from the current ones under the
/// configuration lock so concurrent writers never lose an update.</summary>
internal sealed class ApiRoutesUpdate
{
    /// <summary>The complete new set of API routes.</summary>
    public required IReadOnlyList<StoredRoute> Routes { get; init; }

    /// <summary>Writes the change durably; runs after validation, before the swap.</summary>
    public Func<CancellationToken, Task>? Persist { get; init; }

    /// <summary>Undoes <see cref="Persist"/> when the change cannot be applied after all (a port bind failed).</summary>
    public Func<CancellationToken, Task>? Compensate { get; init; }

    /// <summary>Validate only (the admin API's dry run).</summary>
    public bool DryRun { get; init; }
}
