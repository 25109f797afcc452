using System.Globalization;

namespace Proxy.Benchmarks.Compare;

/// <summary>How busy one core was between two readings of /proc/stat (1.0 = never idle). Shows whether a figure was
/// bounded by the load core rather than by the contender.</summary>
internal sealed class CoreLoad
{
    private readonly int _core;
    private readonly (long Busy, long Total) _start;

    private CoreLoad(int core)
    {
        _core = core;
        _start = Read(core);
    }

    public static CoreLoad Start(int core) => new(core);

    public double Stop()
    {
        var end = Read(_core);
        var total = end.Total - _start.Total;
        return total > 0 ? (double)(end.Busy - _start.Busy) / total : double.NaN;
    }

    private static (long Busy, long Total) Read(int core)
    {
        var prefix = string.Create(CultureInfo.InvariantCulture, $"cpu{core} ");
        foreach (var line in File.ReadLines("/proc/stat"))
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                // user nice system idle iowait irq softirq steal ...: idle and iowait are the idle time.
                var ticks = line[prefix.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
                    .Select(t => long.Parse(t, CultureInfo.InvariantCulture)).ToArray();
                var total = ticks.Take(8).Sum();
                return (total - ticks[3] - ticks[4], total);
            }
        }

        return (0, 0);
    }
}
