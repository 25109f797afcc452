using System.Globalization;

namespace Proxy.Benchmarks.Compare;

/// <summary>The open-file limit a child can get: <c>ulimit -n</c> can rise to the hard limit, never past it, and a
/// forwarded connection costs a proxy two descriptors.</summary>
internal static class FileLimits
{
    public static long Hard => Read(2);

    public static long Soft => Read(1);

    /// <summary>The shell prefix that raises a child's soft limit as far as it can go before exec'ing it.</summary>
    public static string RaiseCommand => "ulimit -n 65536 2>/dev/null || ulimit -n \"$(ulimit -Hn)\"";

    private static long Read(int column)
    {
        foreach (var line in File.ReadLines("/proc/self/limits"))
        {
            if (line.StartsWith("Max open files", StringComparison.Ordinal))
            {
                var value = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[column - 1];
                return value == "unlimited" ? long.MaxValue : long.Parse(value, CultureInfo.InvariantCulture);
            }
        }

        return 1024;
    }
}
