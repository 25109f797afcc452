using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Proxy.Benchmarks.Compare;

/// <summary>A child process with a deadline: killed by its PID when the deadline passes, when disposed, and when the
/// harness exits, so no backend or load generator outlives a run.</summary>
internal sealed class ExternalProcess : IAsyncDisposable
{
    private const int MaxCapturedChars = 4 * 1024 * 1024;
    private static readonly ConcurrentDictionary<int, ExternalProcess> Live = new();
    private readonly Process _process;
    private readonly CancellationTokenSource _deadline;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _error = new();

    static ExternalProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
        Console.CancelKeyPress += (_, _) => KillAll();
        // SIGTERM and SIGHUP (kill, a closed terminal) as well: no child may outlive the harness.
        Signals = [PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => KillAll()), PosixSignalRegistration.Create(PosixSignal.SIGHUP, _ => KillAll())];
    }

    /// <summary>Kept alive so the signal handlers stay registered.</summary>
    private static PosixSignalRegistration[] Signals { get; }

    private ExternalProcess(Process process, string name, TimeSpan timeout)
    {
        _process = process;
        Name = name;
        _deadline = new CancellationTokenSource(timeout);
        _deadline.Token.Register(static state => ((ExternalProcess)state!).Kill(), this);
    }

    public string Name { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output => Read(_output);

    public string Error => Read(_error);

    /// <summary>Starts <paramref name="file"/> with its arguments (no shell unless the caller asks for one), with
    /// <paramref name="environment"/> added to this process's environment.</summary>
    public static ExternalProcess Start(
        string file, IEnumerable<string> arguments, TimeSpan timeout, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (variable, value) in environment ?? System.Collections.ObjectModel.ReadOnlyDictionary<string, string>.Empty)
        {
            info.Environment[variable] = value;
        }

        var process = new Process { StartInfo = info };
        var name = Path.GetFileName(file) + " " + string.Join(' ', info.ArgumentList);
        process.Start();
        var started = new ExternalProcess(process, name, timeout);
        process.OutputDataReceived += (_, e) => Append(started._output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(started._error, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Live[process.Id] = started;
        return started;
    }

    /// <summary>Runs a command to its end (killed at the deadline) and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(
        string file, IEnumerable<string> arguments, TimeSpan timeout, CancellationToken cancellation)
    {
        await using var process = Start(file, arguments, timeout);
        var exitCode = await process.WaitForExitAsync(cancellation).ConfigureAwait(false);
        return (exitCode, process.Output, process.Error);
    }

    public async Task<int> WaitForExitAsync(CancellationToken cancellation)
    {
        await _process.WaitForExitAsync(cancellation).ConfigureAwait(false);
        return _process.ExitCode;
    }

    /// <summary>Kills the process and its children by PID; harmless when it has already exited.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // It exited between the check and the kill.
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            try
            {
                await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                await Console.Error.WriteLineAsync($"warning: pid {Pid} ({Name}) did not exit within 10 s of its kill").ConfigureAwait(false);
            }
        }

        Live.TryRemove(Pid, out _);
        await _deadline.CancelAsync().ConfigureAwait(false);
        _deadline.Dispose();
        _process.Dispose();
    }

    private static void KillAll()
    {
        foreach (var process in Live.Values)
        {
            process.Kill();
        }
    }

    private static void Append(StringBuilder builder, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (builder)
        {
            if (builder.Length < MaxCapturedChars)
            {
                builder.AppendLine(line);
            }
        }
    }

    private static string Read(StringBuilder builder)
    {
        lock (builder)
        {
            return builder.ToString();
        }
    }
}
