using System.Globalization;

namespace Proxy.Benchmarks.Compare;

/// <summary>The HTTP target of the connection-rate, latency and HTTP measures: nginx with one worker on the load core,
/// answering every request with a fixed small body (<see cref="Body"/>) from memory, no access log, keep-alive without a
/// request limit.</summary>
internal static class NginxHttpBackend
{
    /// <summary>The body every request gets (13 bytes).</summary>
    public const string Body = "hello, proxy\n";

    /// <summary>Starts it on a free loopback port and returns once it listens.</summary>
    public static async Task<RunningContender> StartAsync(TimeSpan lifetime, CancellationToken cancellation)
    {
        var port = LoopbackPorts.Free();
        var work = Directory.CreateTempSubdirectory("proxy-bench-backend-");
        var config = Path.Combine(work.FullName, "nginx.conf");
        var text = string.Create(CultureInfo.InvariantCulture, $$"""
            {{NginxConfig.MainContext(work, 20000)}}

            http {
                access_log off;
                keepalive_requests 1000000000;
                keepalive_timeout 300s;
                {{NginxConfig.TempPaths(work)}}
                server {
                    listen 127.0.0.1:{{port}} backlog=4096;
                    location / {
                        default_type text/plain;
                        return 200 "{{Body.Replace("\n", "\\n", StringComparison.Ordinal)}}";
                    }
                }
            }

            """);
        await File.WriteAllTextAsync(config, text, cancellation).ConfigureAwait(false);
        var process = Pinned.Start(
            Pinned.LoadCore, "nginx", ["-p", work.FullName, "-e", Path.Combine(work.FullName, "error.log"), "-c", config], lifetime, work.FullName);
        var running = new RunningContender(port, process, work);
        if (!await LoopbackPorts.WaitListeningAsync(port, process, TimeSpan.FromSeconds(30), cancellation).ConfigureAwait(false))
        {
            var why = $"the nginx HTTP backend did not listen on 127.0.0.1:{port} (exited: {process.HasExited}).\n{process.Output}{process.Error}";
            await running.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException(why);
        }

        return running;
    }
}
