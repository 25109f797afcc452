using Microsoft.AspNetCore.Builder;
using Proxy.Hosting;
using Proxy.Tests.Infrastructure;

namespace Proxy.Tests.Admin;

/// <summary>The real proxy on a content root the test owns, so a second instance can start over the same route store
/// (data/proxy.db) after the first one stopped. Unlike <see cref="ProxyTestHost"/> it never deletes the directory.</summary>
internal sealed class ProxyOnDirectory : IAsyncDisposable
{
    private ProxyOnDirectory(WebApplication app, int adminPort, LogCapture logs)
    {
        App = app;
        AdminPort = adminPort;
        Logs = logs;
    }

    public WebApplication App { get; }

    public int AdminPort { get; }

    public Uri AdminUrl => new($"http://127.0.0.1:{AdminPort}");

    public LogCapture Logs { get; }

    public static async Task<ProxyOnDirectory> StartAsync(object proxySection, string directory)
    {
        var adminPort = TestClient.FreePort();
        var (builder, _, _, logs) = ProxyTestHost.CreateBuilder(proxySection, adminPort: adminPort, directory: directory);
        var app = await ProxyHost.BuildAsync(builder);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return new ProxyOnDirectory(app, adminPort, logs);
    }

    public async ValueTask DisposeAsync()
    {
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            await App.StopAsync(cts.Token);
        }

        await App.DisposeAsync();
    }
}
