namespace Proxy.Benchmarks.Compare;

/// <summary>Installs the peers and load generators with apt, only those missing (idempotent: a second run installs
/// nothing and does not even update the package lists).</summary>
internal static class ToolInstaller
{
    /// <summary>Debian package, and the file whose presence means it is installed.</summary>
    private static readonly (string Package, string Probe)[] Tools =
    [
        ("haproxy", "haproxy"),
        ("nginx", "nginx"),
        ("libnginx-mod-stream", "/usr/lib/nginx/modules/ngx_stream_module.so"),
        ("socat", "socat"),
        ("iperf3", "iperf3"),
        ("wrk", "wrk"),
        ("tinyproxy", "tinyproxy"),
        ("microsocks", "microsocks"),
        ("openssl", "openssl"),
        ("proxychains4", "proxychains4"),
        ("util-linux", "taskset"),
    ];

    public static async Task EnsureAsync(CancellationToken cancellation)
    {
        var missing = new List<string>();
        foreach (var (package, probe) in Tools)
        {
            if (!await IsPresentAsync(probe, cancellation).ConfigureAwait(false))
            {
                missing.Add(package);
            }
        }

        if (missing.Count == 0)
        {
            Console.WriteLine("tools: all present");
            return;
        }

        Console.WriteLine($"tools: installing {string.Join(' ', missing)}");
        var timeout = TimeSpan.FromMinutes(10);
        await RunAsync("apt-get", ["update", "-qq"], timeout, cancellation).ConfigureAwait(false);
        await RunAsync("env", ["DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq", .. missing], timeout, cancellation)
            .ConfigureAwait(false);
    }

    private static async Task<bool> IsPresentAsync(string probe, CancellationToken cancellation)
    {
        if (probe.StartsWith('/'))
        {
            return File.Exists(probe);
        }

        var (exitCode, _, _) = await ExternalProcess.RunAsync("bash", ["-c", $"command -v {probe}"], TimeSpan.FromSeconds(10), cancellation)
            .ConfigureAwait(false);
        return exitCode == 0;
    }

    private static async Task RunAsync(string file, string[] arguments, TimeSpan timeout, CancellationToken cancellation)
    {
        var (exitCode, output, error) = await ExternalProcess.RunAsync(file, arguments, timeout, cancellation).ConfigureAwait(false);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({exitCode}):\n{output}{error}");
        }
    }
}
