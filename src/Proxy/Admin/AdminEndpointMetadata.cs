namespace Proxy.Admin;

/// <summary>Marks the admin API's endpoints: they answer only on the admin listener, never on a route port.</summary>
internal sealed class AdminEndpointMetadata
{
    public static AdminEndpointMetadata Instance { get; } = new();
}
