using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Proxy.Http;

/// <summary>One structured line per HTTP request when it completes: the same style as the connection summary.</summary>
internal sealed partial class HttpRequestLogMiddleware(RequestDelegate next, ILogger<HttpRequestLogMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            if (logger.IsEnabled(LogLevel.Information))
            {
                var request = context.Request;
                var route = context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>();
                var target = context.Features.Get<IReverseProxyFeature>()?.ProxiedDestination?.Model.Config.Address;
                var error = context.GetForwarderErrorFeature()?.Error;
                Log.Request(logger, context.Connection.Id, request.Method, request.Host.Value ?? "-", request.Path.Value ?? "/", request.Protocol,
                    context.Response.StatusCode, route?.Config.RouteId ?? "-", target ?? "-", error is null ? "-" : error.Value.ToString(),
                    context.Connection.RemoteIpAddress?.ToString() ?? "-", (long)Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information,
            "HTTP {ConnectionId} {Method} {Host}{Path} {Protocol} status={Status} route={RouteId} target={Target} error={Error} client={Client} ms={DurationMs}")]
        public static partial void Request(ILogger logger, string connectionId, string method, string host, string path, string protocol,
            int status, string routeId, string target, string error, string client, long durationMs);
    }
}
