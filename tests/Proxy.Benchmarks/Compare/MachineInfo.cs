using System.Globalization;
using System.Runtime.InteropServices;

namespace Proxy.Benchmarks.Compare;

/// <summary>What the figures were measured on, for the report's header.</summary>
internal sealed record MachineInfo(int Cores, string CpuModel, string Kernel, string MemoryTotal, string DotNet, IReadOnlyList<string> Tools)
{
    public static async Task<MachineInfo> ReadAsync(CancellationToken cancellation)
    {
        var cpu = FirstValue("/proc/cpuinfo", "model name") ?? FirstValue("/proc/cpuinfo", "Model") ?? "unknown";
        var kernel = File.Exists("/proc/sys/kernel/osrelease") ? (await File.ReadAllTextAsync("/proc/sys/kernel/osrelease", cancellation).ConfigureAwait(false)).Trim() : "unknown";
        var memory = FirstValue("/proc/meminfo", "MemTotal") is { } kib && long.TryParse(kib.Split(' ')[0], CultureInfo.InvariantCulture, out var kb)
            ? string.Create(CultureInfo.InvariantCulture, $"{kb / 1048576.0:F1} GiB")
            : "unknown";
        var tools = new List<string>();
        foreach (var (file, args) in new (string, string[])[]
        {
            ("haproxy", ["-v"]), ("nginx", ["-v"]), ("socat", ["-V"]), ("iperf3", ["--version"]),
        })
        {
            tools.Add(await VersionAsync(file, args, cancellation).ConfigureAwait(false));
        }

        // These print no usable version of their own (microsocks has no flag; wrk prints usage): the packages say it.
        tools.AddRange(await PackageVersionsAsync(["wrk", "tinyproxy", "microsocks", "proxychains4"], cancellation).ConfigureAwait(false));

        return new MachineInfo(Environment.ProcessorCount, cpu, kernel, memory, RuntimeInformation.FrameworkDescription, tools);
    }

    private static async Task<string> VersionAsync(string file, string[] arguments, CancellationToken cancellation)
    {
        try
        {
            var (_, output, error) = await ExternalProcess.RunAsync(file, arguments, TimeSpan.FromSeconds(10), cancellation).ConfigureAwait(false);
            var line = (output + error).Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Contains("version", StringComparison.OrdinalIgnoreCase));
            return line ?? (output + error).Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? file + ": unknown version";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return file + ": not installed";
        }
    }

    private static async Task<IEnumerable<string>> PackageVersionsAsync(string[] packages, CancellationToken cancellation)
    {
        try
        {
            var (_, output, _) = await ExternalProcess.RunAsync("dpkg-query", ["-W", "-f", "${Package} ${Version}\\n", .. packages],
                TimeSpan.FromSeconds(10), cancellation).ConfigureAwait(false);
            return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(line => line + " (Debian package)");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return packages.Select(package => package + ": unknown version");
        }
    }

    private static string? FirstValue(string file, string key)
    {
        if (!File.Exists(file))
        {
            return null;
        }

        foreach (var line in File.ReadLines(file))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Trim() == key)
            {
                return line[(colon + 1)..].Trim();
            }
        }

        return null;
    }
}
