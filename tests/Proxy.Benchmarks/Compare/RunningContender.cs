namespace Proxy.Benchmarks.Compare;

/// <summary>A started contender: the port to load and the processes to measure; stopping it kills them by PID and
/// removes its temporary configuration.</summary>
/// <param name="port">Where the load connects.</param>
/// <param name="process">The contender's process; null for the direct route, which has no process in the path.</param>
/// <param name="workDirectory">Its temporary configuration, deleted on dispose.</param>
/// <param name="companions">Further processes that are part of it and measured with it (the egress node of a relay).</param>
internal sealed class RunningContender(int port, ExternalProcess? process, DirectoryInfo? workDirectory, params RunningContender[] companions)
    : IAsyncDisposable
{
    public int Port { get; } = port;

    /// <summary>Null for the direct route, which has no process in the path.</summary>
    public ExternalProcess? Process { get; } = process;

    /// <summary>The PIDs whose process trees are measured together: this process and its companions'.</summary>
    public int[] Pids => [.. new[] { Process }.Concat(companions.Select(c => c.Process)).OfType<ExternalProcess>().Select(p => p.Pid)];

    public async ValueTask DisposeAsync()
    {
        if (Process is not null)
        {
            await Process.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var companion in companions)
        {
            await companion.DisposeAsync().ConfigureAwait(false);
        }

        try
        {
            workDirectory?.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a dying process; the temp folder is cleaned by the OS eventually.
        }
    }
}
