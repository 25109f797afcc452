using System.Globalization;

namespace Proxy.Benchmarks.Compare;

/// <summary>CPU time and memory of a process and its descendants, read from /proc (nginx's workers, socat's forks).</summary>
internal static class ProcessTree
{
    /// <summary>USER_HZ: the unit of /proc/PID/stat times, 100 on every Linux architecture .NET runs on.</summary>
    public const double TicksPerSecond = 100;

    /// <summary>utime + stime of every live process in the tree, plus the times of the children each has reaped
    /// (cutime + cstime), so socat's short-lived forks are counted after they exit, also when the socat that reaped
    /// them is itself a child (the TCP + UDP socat pair under one shell). A dead process's time is in exactly one
    /// live ancestor's cutime, so nothing is counted twice.</summary>
    public static long CpuTicks(int root)
    {
        long total = 0;
        foreach (var pid in Members(root))
        {
            if (Stat(pid) is { } stat)
            {
                total += stat.UserTicks + stat.SystemTicks + stat.ChildUserTicks + stat.ChildSystemTicks;
            }
        }

        return total;
    }

    /// <summary>Context switches (voluntary and involuntary) of every live thread in the tree, from
    /// /proc/PID/task/TID/status. A thread that exited took its count with it, so this is exact only while the tree's
    /// threads live through the interval measured (a pool thread that retires mid-run makes the difference too small).
    /// At a low event rate on a virtual machine, each sleep and wake-up costs more CPU than the work the event brings,
    /// so this count explains most of a contender's CPU there.</summary>
    public static long ContextSwitches(int root)
    {
        long total = 0;
        foreach (var pid in Members(root))
        {
            try
            {
                foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
                {
                    total += StatusSum($"{task}/status", "voluntary_ctxt_switches", "nonvoluntary_ctxt_switches");
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Exited while being read.
            }
        }

        return total;
    }

    /// <summary>Sum of a /proc/PID/status field in kB (VmRSS, VmHWM) over the tree, in bytes.</summary>
    public static long SumStatusBytes(int root, string field)
    {
        long total = 0;
        foreach (var pid in Members(root))
        {
            total += StatusBytes(pid, field);
        }

        return total;
    }

    /// <summary>Open file descriptors over the tree (a forwarded connection costs a proxy two).</summary>
    public static int OpenDescriptors(int root)
    {
        var total = 0;
        foreach (var pid in Members(root))
        {
            try
            {
                total += Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Exited while being read.
            }
        }

        return total;
    }

    public static List<int> Members(int root)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && Stat(pid) is { } stat)
            {
                if (!children.TryGetValue(stat.ParentPid, out var list))
                {
                    children[stat.ParentPid] = list = [];
                }

                list.Add(pid);
            }
        }

        var members = new List<int> { root };
        for (var i = 0; i < members.Count; i++)
        {
            if (children.TryGetValue(members[i], out var list))
            {
                members.AddRange(list);
            }
        }

        return members;
    }

    private static long StatusBytes(int pid, string field) => StatusSum($"/proc/{pid}/status", field) * 1024;

    /// <summary>The sum of some numeric fields of a status file (each field's first word after its colon), in one read;
    /// 0 when the process has gone.</summary>
    private static long StatusSum(string path, params string[] fields)
    {
        long total = 0;
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0 && Array.IndexOf(fields, line[..colon]) >= 0)
                {
                    var parts = line[(colon + 1)..].Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                    total += long.Parse(parts[0], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The process exited while being read.
        }

        return total;
    }

    private static ProcStat? Stat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // The command name is in parentheses and may contain spaces: the fields start after the last ')'.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return new ProcStat(
            int.Parse(fields[1], CultureInfo.InvariantCulture),
            long.Parse(fields[11], CultureInfo.InvariantCulture),
            long.Parse(fields[12], CultureInfo.InvariantCulture),
            long.Parse(fields[13], CultureInfo.InvariantCulture),
            long.Parse(fields[14], CultureInfo.InvariantCulture));
    }

    private sealed record ProcStat(int ParentPid, long UserTicks, long SystemTicks, long ChildUserTicks, long ChildSystemTicks);
}
