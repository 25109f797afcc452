using System.Text.Json;

namespace Proxy.Benchmarks.Compare;

/// <summary>Starts the Release build of this proxy with the given routes: a temporary folder holding its
/// appsettings.json (Serilog at Warning, so no per-connection or per-request line; the admin API and the SQLite store
/// on a free port and in that folder; limits above what the measure opens), pinned to the proxy core.</summary>
internal static class ProxyProcess
{
    /// <param name="name">The contender's name, for errors.</param>
    /// <param name="port">The port to wait for (TCP, and UDP when <paramref name="udp"/>).</param>
    /// <param name="routes">The <c>Proxy:Routes</c> array.</param>
    /// <param name="maxConnections">Connections it must hold at once.</param>
    /// <param name="udp">Whether to wait for the port on UDP as well.</param>
    /// <param name="lifetime">It is killed by PID after this long at the latest.</param>
    /// <param name="cancellation">Stops waiting for it to listen.</param>
    /// <param name="extra">More <c>Proxy</c> settings by name (e.g. <c>Relay</c>), or null.</param>
    /// <param name="host">What <c>dotnet</c> runs with that configuration, and the environment it adds; null for the
    /// proxy program itself.</param>
    public static async Task<RunningContender> StartAsync(
        string name, int port, object[] routes, int maxConnections, bool udp, TimeSpan lifetime, CancellationToken cancellation,
        IReadOnlyDictionary<string, object>? extra = null, (string[] Arguments, IReadOnlyDictionary<string, string> Environment)? host = null)
    {
        if (!File.Exists(RepositoryPaths.ProxyDll))
        {
            throw new InvalidOperationException($"{RepositoryPaths.ProxyDll} is missing: run `dotnet build -c Release src/Proxy` first.");
        }

        var work = Directory.CreateTempSubdirectory("proxy-bench-proxy-");
        var proxy = new Dictionary<string, object>
        {
            ["BindAddress"] = "127.0.0.1",
            ["Admin"] = new { Urls = new[] { $"http://127.0.0.1:{LoopbackPorts.Free()}" } },
            ["Store"] = new { Path = Path.Combine(work.FullName, "proxy.db") },
            ["Limits"] = new { MaxConnections = maxConnections + 1000, MaxConnectionsPerIp = maxConnections + 1000 },
            ["Routes"] = routes,
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, object>())
        {
            proxy[key] = value;
        }

        var settings = new
        {
            Serilog = new
            {
                Using = new[] { "Serilog.Sinks.Console" },
                MinimumLevel = new { Default = "Warning" },
                WriteTo = new[] { new { Name = "Console" } },
            },
            Proxy = proxy,
        };
        await File.WriteAllTextAsync(Path.Combine(work.FullName, "appsettings.json"), JsonSerializer.Serialize(settings), cancellation)
            .ConfigureAwait(false);

        // The content root is the working directory, which holds the appsettings.json above.
        var process = Pinned.Start(
            Pinned.ProxyCore, "dotnet", host?.Arguments ?? [RepositoryPaths.ProxyDll], lifetime, work.FullName, host?.Environment);
        var running = new RunningContender(port, process, work);
        if (!await LoopbackPorts.WaitListeningAsync(port, process, TimeSpan.FromSeconds(30), cancellation, udp).ConfigureAwait(false))
        {
            var why = $"{name} did not listen on 127.0.0.1:{port} within 30 s (exited: {process.HasExited}).\n{process.Output}{process.Error}";
            await running.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException(why);
        }

        return running;
    }

    /// <summary>One route object: <c>{ Id, Match = { Ports = [port] }, Action = action }</c>.</summary>
    public static object Route(string id, int port, object action) => new { Id = id, Match = new { Ports = new[] { port } }, Action = action };
}
