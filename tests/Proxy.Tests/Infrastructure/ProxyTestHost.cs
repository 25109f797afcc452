using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Proxy.Hosting;
using Proxy.Metrics;

namespace Proxy.Tests.Infrastructure;

/// <summary>The real proxy application on real Kestrel, configured from a JSON file the test can rewrite (hot reload).</summary>
public sealed class ProxyTestHost : IAsyncDisposable
{
    private readonly string _directory;
    private readonly string _configPath;

    private ProxyTestHost(WebApplication app, string directory, string configPath, LogCapture logs)
    {
        App = app;
        _directory = directory;
        _configPath = configPath;
        Logs = logs;
    }

    public WebApplication App { get; }

    public LogCapture Logs { get; }

    internal LiveConfiguration Config => App.Services.GetRequiredService<LiveConfiguration>();

    internal ProxyMetrics Metrics => App.Services.GetRequiredService<ProxyMetrics>();

    /// <summary>Starts the proxy with <paramref name="proxySection"/> as the <c>Proxy</c> section.</summary>
    public static async Task<ProxyTestHost> StartAsync(object proxySection, Action<WebApplicationBuilder>? configure = null)
    {
        var (builder, directory, path, logs) = CreateBuilder(proxySection, configure);
        WebApplication app;
        try
        {
            app = await ProxyHost.BuildAsync(builder);
        }
        catch (ProxyConfigurationException ex)
        {
            Directory.Delete(directory, recursive: true);
            throw new InvalidOperationException("Invalid test configuration: " + ex.Message, ex);
        }

        var host = new ProxyTestHost(app, directory, path, logs);
        await app.StartAsync();
        return host;
    }

    /// <summary>A builder over the given section (in a temporary content root), for tests that build the app themselves.</summary>
    internal static (WebApplicationBuilder Builder, string Directory, string Path, LogCapture Logs) CreateBuilder(
        object proxySection, Action<WebApplicationBuilder>? configure = null)
    {
        var directory = Directory.CreateTempSubdirectory("proxy-test-").FullName;
        var path = Path.Combine(directory, "proxy.json");
        File.WriteAllText(path, Serialize(proxySection));
        var builder = ProxyHost.CreateBuilder(new WebApplicationOptions { ContentRootPath = directory, EnvironmentName = "Test" });
        builder.Configuration.AddJsonFile(path, optional: false, reloadOnChange: true);
        var logs = new LogCapture();
        builder.Logging.AddProvider(logs);
        configure?.Invoke(builder);
        return (builder, directory, path, logs);
    }

    /// <summary>The content root of the running proxy (certificate paths are relative to it).</summary>
    public string ContentRoot => _directory;

    /// <summary>Rewrites the configuration file and waits until the proxy has applied or rejected it.</summary>
    public async Task<bool> ReloadAsync(object proxySection)
    {
        var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = Config.GetChangeToken().RegisterChangeCallback(static s => ((TaskCompletionSource)s!).TrySetResult(), changed);
        var rejected = Logs.WaitForAsync(e => e.Message.Contains("Configuration change rejected", StringComparison.Ordinal));
        await File.WriteAllTextAsync(_configPath, Serialize(proxySection));
        var done = await Task.WhenAny(changed.Task, rejected).WaitAsync(TestTimeouts.Reload);
        if (done == rejected)
        {
            return false;
        }

        // The snapshot is swapped before Kestrel finishes (un)binding; wait for the apply to finish too.
        var applied = $"Configuration reloaded: version {Config.Current.Version},";
        await Logs.WaitForAsync(e => e.Message.StartsWith(applied, StringComparison.Ordinal)).WaitAsync(TestTimeouts.Reload);
        return true;
    }

    public static string Serialize(object proxySection)
    {
        var root = new JsonObject
        {
            ["Proxy"] = JsonSerializer.SerializeToNode(proxySection),
            ["Serilog"] = new JsonObject { ["MinimumLevel"] = "Warning" },
        };
        return root.ToJsonString();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await App.StopAsync(cts.Token);
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }

        await App.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
