using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Proxy.Hosting;

var builder = ProxyHost.CreateBuilder(new WebApplicationOptions { Args = args });
var app = builder.Build();

var errors = app.Services.GetRequiredService<LiveConfiguration>().StartupErrors;
if (errors.Count > 0)
{
    await Console.Error.WriteLineAsync($"The configuration is invalid ({errors.Count} errors):");
    foreach (var error in errors)
    {
        await Console.Error.WriteLineAsync("  " + error);
    }

    return 1;
}

await app.RunAsync();
return 0;
