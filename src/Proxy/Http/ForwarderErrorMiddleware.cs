using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace Proxy.Http;

/// <summary>Gives YARP's bare 502/503/504 answers a short body naming the cause, so a user sees why at once.</summary>
internal sealed class ForwarderErrorMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        await next(context).ConfigureAwait(false);
        if (context.Response.HasStarted || context.Response.StatusCode < 500)
        {
            return;
        }

        var reason = context.GetForwarderErrorFeature()?.Error switch
        {
            ForwarderError.Request => "the target could not be reached",
            ForwarderError.RequestTimedOut => "the target did not answer in time",
            ForwarderError.NoAvailableDestinations => "no healthy target",
            ForwarderError.ResponseHeaders or ForwarderError.ResponseBodyDestination => "the target's response failed",
            null when context.Response.StatusCode == StatusCodes.Status503ServiceUnavailable => "no healthy target",
            { } error => error.ToString(),
            _ => null,
        };

        if (reason is not null)
        {
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync($"{context.Response.StatusCode}: {reason}.\n").ConfigureAwait(false);
        }
    }
}
