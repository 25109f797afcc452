namespace Proxy.Benchmarks.Compare;

/// <summary>Starts commands pinned to one core with taskset, with the open-file limit raised as far as the hard limit
/// allows. The contender under test always gets <see cref="ProxyCore"/> and the load <see cref="LoadCore"/>.</summary>
internal static class Pinned
{
    public const int ProxyCore = 0;
    public const int LoadCore = 1;

    public static ExternalProcess Start(
        int core, string file, IEnumerable<string> arguments, TimeSpan timeout, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        // bash -c 'script' $0 $@: the command travels as arguments, so nothing needs quoting; exec keeps the PID.
        var script = $"{FileLimits.RaiseCommand}; exec taskset -c {core} \"$0\" \"$@\"";
        return ExternalProcess.Start("bash", ["-c", script, file, .. arguments], timeout, workingDirectory, environment);
    }
}
