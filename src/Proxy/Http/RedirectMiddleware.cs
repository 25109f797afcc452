using System.Globalization;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Model;

namespace Proxy.Http;

/// <summary>Answers requests matched by a Redirect route (a YARP route without a cluster) with the configured status
/// and Location: <c>{scheme}</c>, <c>{host}</c>, <c>{port}</c> and <c>{path}</c> (path and query) are filled in.</summary>
internal sealed class RedirectMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var route = context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>();
        if (route?.Config.Metadata is not { } metadata || !metadata.TryGetValue(HttpMetadata.RedirectTo, out var to))
        {
            return next(context);
        }

        var request = context.Request;
        var location = to
            .Replace("{scheme}", request.Scheme, StringComparison.Ordinal)
            .Replace("{host}", request.Host.Host, StringComparison.Ordinal)
            .Replace("{port}", (request.Host.Port ?? context.Connection.LocalPort).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{path}", request.PathBase + request.Path + request.QueryString, StringComparison.Ordinal);
        context.Response.StatusCode = int.Parse(metadata[HttpMetadata.RedirectStatus], CultureInfo.InvariantCulture);
        context.Response.Headers.Location = location;
        return Task.CompletedTask;
    }
}
