namespace Proxy.Benchmarks.Compare;

/// <summary>A started contender: the port to load and the process to measure; stopping it kills it by PID and removes
/// its temporary configuration.</summary>
internal sealed class RunningContender(int port, ExternalProcess? process, DirectoryInfo? workDirectory) : IAsyncDisposable
{
    public int Port { get; } = port;

    /// <summary>Null for the direct route, which has no process in the path.</summary>
    public ExternalProcess? Process { get; } = process;

    public async ValueTask DisposeAsync()
    {
        if (Process is not null)
        {
            await Process.DisposeAsync().ConfigureAwait(false);
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
