using Microsoft.AspNetCore.Builder;
using Proxy.Hosting;

RuntimeTuning.ApplyToProcess();
try
{
    var app = await ProxyHost.BuildAsync(ProxyHost.CreateBuilder(new WebApplicationOptions { Args = args }));
    using var reload = ReloadSignal.Register(app.Services);
    await app.RunAsync();
    return 0;
}
catch (ProxyConfigurationException ex)
{
    await Console.Error.WriteLineAsync(ex.Message);
    return 1;
}
