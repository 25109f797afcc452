namespace Proxy.Store;

/// <summary>One line of the append-only audit log.</summary>
public sealed record AuditRecord(long Sequence, DateTimeOffset Time, string KeyId, string Action, string RouteId, string? Before, string? After);
