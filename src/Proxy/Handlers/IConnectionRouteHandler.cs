using Microsoft.AspNetCore.Connections;

namespace Proxy.Handlers;

/// <summary>A named connection handler that <c>Handler</c> routes hand their connections to. Register an
/// implementation in DI (<c>services.AddSingleton&lt;IConnectionRouteHandler, MyHandler&gt;()</c>) and name it in a
/// route: <c>{ "Type": "Handler", "Handler": "my-handler" }</c>.</summary>
public interface IConnectionRouteHandler
{
    /// <summary>The name routes refer to; compared case-insensitively.</summary>
    string Name { get; }

    /// <summary>Serves one connection. Every byte the client sent is still in <see cref="ConnectionContext.Transport"/>;
    /// the connection is closed when the returned task completes. <paramref name="stopping"/> fires on shutdown or when
    /// the route's port is removed.</summary>
    Task HandleAsync(ConnectionContext connection, CancellationToken stopping);
}
