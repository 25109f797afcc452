using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using Proxy.Metrics;

namespace Proxy.Connections;

/// <summary>Refuses a connection when the process already holds <c>Limits:MaxConnections</c> (a tunnel counts for its whole life).</summary>
internal sealed class ConnectionLimitMiddleware(ConnectionDelegate next, ProxyMetrics metrics)
{
    public async Task OnConnectionAsync(ConnectionContext context)
    {
        var connection = context.Features.GetRequiredFeature<ProxyConnection>();
        if (!metrics.TryOpen(connection.Snapshot.Limits.MaxConnections!.Value))
        {
            connection.Refuse(CloseReason.LimitTotal);
            return;
        }

        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            metrics.Release();
        }
    }
}
