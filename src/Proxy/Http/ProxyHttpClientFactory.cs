using System.Globalization;
using System.Net.Http;
using Yarp.ReverseProxy.Forwarder;

namespace Proxy.Http;

/// <summary>YARP's client factory with the route's <c>ConnectTimeout</c>, so a dead target answers 502 quickly
/// instead of after the default 15 s; and without trace-context propagation: the proxy records no spans, so it passes a
/// client's <c>traceparent</c> and <c>tracestate</c> through untouched and adds none, as nginx and HAProxy do. (YARP
/// would otherwise replace the parent id with that of a span nobody exports, breaking the backend's trace, and put a
/// made-up <c>traceparent</c> on every request that had none.)</summary>
internal sealed class ProxyHttpClientFactory : ForwarderHttpClientFactory
{
    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        handler.ActivityHeadersPropagator = null;
        if (context.NewMetadata?.TryGetValue(HttpMetadata.ConnectTimeout, out var text) == true
            && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds))
        {
            handler.ConnectTimeout = TimeSpan.FromMilliseconds(milliseconds);
        }
    }
}
