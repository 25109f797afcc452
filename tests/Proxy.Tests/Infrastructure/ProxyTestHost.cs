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

    private ProxyTestHost(WebApplication app, string directory, string configPath, LogCapture logs, int adminPort)
    {
        AdminPort = adminPort;
        App = app;
        _directory = directory;
        _configPath = configPath;
        Logs = logs;
    }

    public WebApplication App { get; }

    /// <summary>The admin API's port (a free loopback port per test, unless the section sets <c>Admin</c> itself).</summary>
    public int AdminPort { get; }

    public Uri AdminUrl => new($"http://127.0.0.1:{AdminPort}");

    public LogCapture Logs { get; }

    internal LiveConfiguration Config => App.Services.GetRequiredService<LiveConfiguration>();

    internal ProxyMetrics Metrics => App.Services.GetRequiredService<ProxyMetrics>();

    /// <summary>Starts the proxy with <paramref name="proxySection"/> as the <c>Proxy</c> section.</summary>
    public static async Task<ProxyTestHost> StartAsync(object proxySection, Action<WebApplicationBuilder>? configure = null)
    {
        var adminPort = TestClient.FreePort();
        var (builder, directory, path, logs) = CreateBuilder(proxySection, configure, adminPort);
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

        var host = new ProxyTestHost(app, directory, path, logs, adminPort);
        await app.StartAsync();
        return host;
    }

    /// <summary>A builder over the given section (in a temporary content root), for tests that build the app themselves.</summary>
    internal static (WebApplicationBuilder Builder, string Directory, string Path, LogCapture Logs) CreateBuilder(
        object proxySection, Action<WebApplicationBuilder>? configure = null, int? adminPort = null, string? directory = null)
    {
        directory ??= Directory.CreateTempSubdirectory("proxy-test-").FullName;
        var path = Path.Combine(directory, "proxy.json");
        File.WriteAllText(path, Serialize(proxySection, adminPort ?? TestClient.FreePort()));
        var builder = ProxyHost.CreateBuilder(new WebApplicationOptions { ContentRootPath = directory, EnvironmentName = "Test" });
        builder.Configuration.AddJsonFile(path, optional: false, reloadOnChange: true);
        var logs = new LogCapture();
        builder.Logging.AddProvider(logs);
        configure?.Invoke(builder);
        return (builder, directory, path, logs);
    }

    /// <summary>The configuration file the proxy watches.</summary>
    public string ConfigPath => _configPath;

    /// <summary>The content root of the running proxy (certificate paths are relative to it).</summary>
    public string ContentRoot => _directory;

    /// <summary>Rewrites the configuration file and waits until the proxy has applied or rejected it.</summary>
    public async Task<bool> ReloadAsync(object proxySection)
    {
        var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = Config.GetChangeToken().RegisterChangeCallback(static s => ((TaskCompletionSource)s!).TrySetResult(), changed);
        static bool Rejection(LogEntry e) => e.Message.Contains("Configuration change rejected", StringComparison.Ordinal);
        var rejected = Logs.WaitForAsync(Rejection, Logs.Entries.Count(Rejection) + 1); // not one logged before
        await File.WriteAllTextAsync(_configPath, Serialize(proxySection, AdminPort));
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

    /// <summary>The configuration file: the section as <c>Proxy</c>, with the admin API on <paramref name="adminPort"/>
    /// unless the section configures <c>Admin</c> itself.</summary>
    public static string Serialize(object proxySection, int adminPort)
    {
        var proxy = JsonSerializer.SerializeToNode(proxySection)!.AsObject();
        if (!proxy.ContainsKey("Admin"))
        {
            proxy["Admin"] = new JsonObject { ["Urls"] = new JsonArray($"http://127.0.0.1:{adminPort}") };
        }

        var root = new JsonObject
        {
            ["Proxy"] = proxy,
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
