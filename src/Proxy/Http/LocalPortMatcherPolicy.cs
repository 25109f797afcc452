using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;
using Proxy.Admin;
using Proxy.Listeners;

namespace Proxy.Http;

/// <summary>Drops candidate endpoints whose <see cref="LocalPortsMetadata"/> does not include the port the request
/// arrived on, so an HTTP route serves only the ports its route names, and admin endpoints only off route ports
/// (that is, on the admin listener).</summary>
internal sealed class LocalPortMatcherPolicy(PortBindings bindings) : MatcherPolicy, IEndpointSelectorPolicy
{
    // Before HostMatcherPolicy and the HTTP method policy, so their 404/405 decisions see only this port's routes.
    public override int Order => -2000;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints)
    {
        foreach (var endpoint in endpoints)
        {
            if (endpoint.Metadata.GetMetadata<LocalPortsMetadata>() is not null || endpoint.Metadata.GetMetadata<AdminEndpointMetadata>() is not null)
            {
                return true;
            }
        }

        return false;
    }

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        var port = httpContext.Connection.LocalPort;
        for (var i = 0; i < candidates.Count; i++)
        {
            if (!candidates.IsValidCandidate(i))
            {
                continue;
            }

            var metadata = candidates[i].Endpoint.Metadata;
            if ((metadata.GetMetadata<LocalPortsMetadata>() is { } ports && !ports.Contains(port))
                || (metadata.GetMetadata<AdminEndpointMetadata>() is not null && bindings.IsRoutePort(port)))
            {
                candidates.SetValidity(i, false);
            }
        }

        return Task.CompletedTask;
    }
}
