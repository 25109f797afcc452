using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Proxy.Admin;
using Proxy.Http;
using Proxy.Listeners;
using Proxy.Relay;
using Proxy.Transport;
using Serilog;
using Yarp.ReverseProxy.Model;

namespace Proxy.Hosting;

/// <summary>Builds the proxy application: Serilog from the <c>Serilog</c> section, Kestrel endpoints from the routes,
/// the connection chain on every route port, and the HTTP pipeline (YARP). <c>Program</c> and the tests both start here.</summary>
public static class ProxyHost
{
    public static WebApplicationBuilder CreateBuilder(WebApplicationOptions options)
    {
        var builder = WebApplication.CreateBuilder(options);
        var serilog = new LoggerConfiguration().ReadFrom.Configuration(builder.Configuration);
        if (!builder.Configuration.GetSection("Serilog:WriteTo").Exists())
        {
            serilog.WriteTo.Console(); // A configuration without sinks must not silence the proxy.
        }

        builder.Logging.ClearProviders();
        builder.Logging.AddSerilog(serilog.CreateLogger(), dispose: true);

        builder.Services.AddProxy();
        builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = RuntimeTuning.InlineCompletions);
        builder.Services.AddSingleton<IConnectionListenerFactory, RouteTransportFactory>();
        builder.WebHost.ConfigureKestrel((_, kestrel) =>
        {
            var services = kestrel.ApplicationServices;
            // Runs when the app is built; the endpoints and their defaults are read later, at server start, after
            // BuildAsync has loaded the routes and published their ports.
            var bindings = services.GetRequiredService<PortBindings>();

            // One combined callback: a second ConfigureEndpointDefaults call would replace the first (KESTREL.md).
            kestrel.ConfigureEndpointDefaults(listen =>
            {
                if (listen.IPEndPoint is { } endpoint && bindings.IsRoutePort(endpoint.Port))
                {
                    ConnectionChain.Install(listen, services, bindings.IsTlsPort(endpoint.Port));
                }
            });
            kestrel.Configure(bindings.KestrelConfiguration, reloadOnChange: true);
        });

        return builder;
    }

    /// <summary>Builds the app, sets up its HTTP pipeline and loads the routes.</summary>
    /// <exception cref="ProxyConfigurationException">The configuration is invalid; every error is listed.</exception>
    public static async Task<WebApplication> BuildAsync(WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var app = builder.Build();
        try
        {
            var admin = app.Services.GetRequiredService<AdminSettings>();
            app.Services.GetRequiredService<PortBindings>().SetAdminUrls(admin.Urls);
            UseHttpRoutes(app);
            var errors = await app.Services.GetRequiredService<LiveConfiguration>().InitializeAsync().ConfigureAwait(false);
            if (errors.Count > 0)
            {
                throw new ProxyConfigurationException(errors);
            }

            RuntimeTuning.LogScheduling(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Proxy.Hosting"));
            return app;
        }
        catch (ProxyConfigurationException)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static void UseHttpRoutes(WebApplication app)
    {
        app.UseMiddleware<HttpRequestLogMiddleware>();
        app.UseMiddleware<MisdirectedRequestMiddleware>();
        app.UseWebSockets();
        app.UseRouting();
        app.UseMiddleware<RedirectMiddleware>();
        app.UseMiddleware<RelayMiddleware>();
        app.MapAdminApi();
        app.MapReverseProxy(proxy =>
        {
            proxy.UseMiddleware<ForwarderErrorMiddleware>();
            proxy.UseSessionAffinity();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        }).ConfigureEndpoints((endpoint, route) =>
        {
            if (route.Metadata?.TryGetValue(HttpMetadata.Ports, out var ports) == true)
            {
                endpoint.WithMetadata(LocalPortsMetadata.Parse(ports));
            }
        });
        app.MapFallback(context =>
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return context.Response.WriteAsync($"404: no route for {context.Request.Host}{context.Request.Path}.\n");
        });
    }
}
