namespace Proxy.Admin;

/// <summary>Marks admin endpoints whose body is a route (read by hand for precise errors), so the OpenAPI document can
/// describe it without restricting the endpoint's content type in routing (which would turn a wrong content type into
/// a 404 instead of the handler's 415).</summary>
internal sealed class RouteBodyMetadata
{
    public static RouteBodyMetadata Instance { get; } = new();
}
