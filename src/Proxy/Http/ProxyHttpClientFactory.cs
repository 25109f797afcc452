using System.Globalization;
using System.Net.Http;
using Yarp.ReverseProxy.Forwarder;

namespace Proxy.Http;

/// <summary>YARP's client factory with the route's <c>ConnectTimeout</c>, so a dead target answers 502 quickly
/// instead of after the default 15 s.</summary>
internal sealed class ProxyHttpClientFactory : ForwarderHttpClientFactory
{
    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        if (context.NewMetadata?.TryGetValue(HttpMetadata.ConnectTimeout, out var text) == true
            && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds))
        {
            handler.ConnectTimeout = TimeSpan.FromMilliseconds(milliseconds);
        }
    }
}
