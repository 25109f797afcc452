using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
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
                var proxy = context.Features.Get<IReverseProxyFeature>();
                var request = context.Request;
                Log.Request(logger, context.Connection.Id, request.Method, request.Host.Value ?? "-", request.Path.Value ?? "/", request.Protocol,
                    context.Response.StatusCode, proxy?.Route.Config.RouteId ?? "-", proxy?.ProxiedDestination?.Model.Config.Address ?? "-",
                    context.Connection.RemoteIpAddress?.ToString() ?? "-", (long)Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information,
            "HTTP {ConnectionId} {Method} {Host}{Path} {Protocol} status={Status} route={RouteId} target={Target} client={Client} ms={DurationMs}")]
        public static partial void Request(ILogger logger, string connectionId, string method, string host, string path, string protocol,
            int status, string routeId, string target, string client, long durationMs);
    }
}
