using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Proxy.Listeners;
using Serilog;

namespace Proxy.Hosting;

/// <summary>Builds the proxy application: Serilog from the <c>Serilog</c> section, Kestrel endpoints from the routes,
/// and the connection chain on every route port. <c>Program</c> and the tests both start here.</summary>
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

        var logger = serilog.CreateLogger();
        builder.Logging.ClearProviders();
        builder.Logging.AddSerilog(logger, dispose: true);

        builder.Services.AddProxy();
        builder.WebHost.ConfigureKestrel((_, kestrel) =>
        {
            var services = kestrel.ApplicationServices;
            var bindings = services.GetRequiredService<PortBindings>();
            // Resolving LiveConfiguration reads and publishes the routes' ports before Kestrel loads its endpoints.
            services.GetRequiredService<LiveConfiguration>();
            // One combined callback: a second ConfigureEndpointDefaults call would replace the first (KESTREL.md).
            kestrel.ConfigureEndpointDefaults(listen =>
            {
                if (listen.IPEndPoint is { } endpoint && bindings.IsRoutePort(endpoint.Port))
                {
                    ConnectionChain.Install(listen, services);
                }
            });
            kestrel.Configure(bindings.KestrelConfiguration, reloadOnChange: true);
        });

        return builder;
    }
}
