using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Configuration;
using Microsoft.OpenApi;
using Microsoft.Extensions.Hosting;
using Proxy.Admin;
using Proxy.Configuration;
using Proxy.Connect;
using Proxy.Relay;
using Proxy.Socks;
using Proxy.Udp;
using Proxy.Store;
using Proxy.Connections;
using Proxy.Forwarding;
using Proxy.Handlers;
using Proxy.Http;
using Microsoft.AspNetCore.Routing;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Proxy.Listeners;
using Proxy.Metrics;
using Proxy.Routing;
using Proxy.Transport;

namespace Proxy.Hosting;

/// <summary>Registers the proxy's services.</summary>
public static class ProxyServiceCollectionExtensions
{
    /// <summary>Adds the route model, the connection chain's services and the built-in actions and handlers.</summary>
    public static IServiceCollection AddProxy(this IServiceCollection services)
    {
        services.AddSingleton<ProxyMetrics>();
        // Layer-4 connections read clients into 32 KiB blocks (Transport/StreamConnection).
        services.AddSingleton<LargeBlockMemoryPool>();
        services.AddSingleton<LayerFourChains>();
        services.AddSingleton<ClientConnectionCounter>();
        services.AddSingleton<ProxyConfigCompiler>();
        services.AddSingleton<PortBindings>();
        services.AddSingleton<LiveConfiguration>();
        services.AddSingleton<RouteDrain>();
        services.AddSingleton<UdpListeners>();
        services.AddHostedService(sp => sp.GetRequiredService<UdpListeners>());
        services.AddHostedService<Forwarding.TargetProber>();

        // Admin API and the route store.
        services.AddSingleton<IRouteStore>(sp =>
        {
            var environment = sp.GetRequiredService<IHostEnvironment>();
            var path = sp.GetRequiredService<IConfiguration>()["Proxy:Store:Path"] ?? Path.Combine("data", "proxy.db");
            return new SqliteRouteStore(Path.Combine(environment.ContentRootPath, path));
        });
        services.AddSingleton<RouteAdmin>();
        services.AddSingleton(sp =>
        {
            var errors = new List<ConfigError>();
            var admin = sp.GetRequiredService<IConfiguration>().GetSection("Proxy:Admin").Get<AdminOptions>();
            return AdminSettings.Create(admin, errors) ?? throw new ProxyConfigurationException(errors);
        });
        services.AddOpenApi(options => options.AddOperationTransformer(async (operation, context, cancellationToken) =>
        {
            foreach (var metadata in context.Description.ActionDescriptor.EndpointMetadata)
            {
                if (metadata is RouteBodyMetadata)
                {
                    var schema = await context.GetOrCreateSchemaAsync(typeof(Configuration.RouteConfig), null, cancellationToken).ConfigureAwait(false);
                    context.Document!.AddComponent(nameof(Configuration.RouteConfig), schema);
                    operation.RequestBody = new OpenApiRequestBody
                    {
                        Required = true,
                        Description = "A route, in the shape of a Proxy:Routes entry.",
                        Content = new Dictionary<string, OpenApiMediaType>
                        {
                            ["application/json"] = new() { Schema = new OpenApiSchemaReference(nameof(Configuration.RouteConfig), context.Document) },
                        },
                    };
                    return;
                }
            }
        }));
        services.AddProblemDetails();
        services.AddSingleton<IRouteActionFactory, ForwardActionFactory>();
        services.AddSingleton<IRouteActionFactory, HandlerActionFactory>();
        services.AddSingleton<IRouteActionFactory, BlockAction>();
        services.AddSingleton<IRouteActionFactory, HttpActionFactory>();
        services.AddSingleton<IRouteActionFactory, ConnectActionFactory>();
        services.AddSingleton<IRouteActionFactory, RelayActionFactory>();
        services.AddSingleton<IRouteActionFactory, Socks5ActionFactory>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConnectionRouteHandler, EchoHandler>());

        // HTTP routes: YARP fed from the same snapshot (its in-memory provider), ports enforced per endpoint.
        services.AddReverseProxy().LoadFromMemory([], []);
        services.AddSingleton<IForwarderHttpClientFactory, ProxyHttpClientFactory>();
        services.AddSingleton<HttpRouteFeed>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, LocalPortMatcherPolicy>());
        return services;
    }
}
