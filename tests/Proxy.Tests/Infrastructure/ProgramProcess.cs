using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Proxy.Hosting;

namespace Proxy.Tests.Infrastructure;

/// <summary>The real program (<c>dotnet Proxy.dll</c>) as a user runs it: its own process, working directory and
/// <c>appsettings.json</c>, its console output captured line by line. Killed (with its directory removed) on dispose.</summary>
public sealed class ProgramProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Seen)> _waiters = [];
    private readonly Task<string> _errors;

    private ProgramProcess(string directory, IReadOnlyDictionary<string, string> environment)
    {
        Directory = directory;
        var start = new ProcessStartInfo("dotnet", [typeof(ProxyHost).Assembly.Location])
        {
            WorkingDirectory = directory,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Offer(e.Data);
        _process.BeginOutputReadLine();
        _errors = _process.StandardError.ReadToEndAsync();
    }

    /// <summary>The program's working directory (its content root), holding its <c>appsettings.json</c>.</summary>
    public string Directory { get; }

    public string SettingsPath => Path.Combine(Directory, "appsettings.json");

    public bool HasExited => _process.HasExited;

    /// <summary>Writes <paramref name="settings"/> as <c>appsettings.json</c> in a new directory, starts the program there
    /// and waits until it says it started.</summary>
    public static async Task<ProgramProcess> StartAsync(object settings, IReadOnlyDictionary<string, string>? environment = null)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("proxy-program-").FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), JsonSerializer.Serialize(settings));
        var program = new ProgramProcess(directory, environment ?? new Dictionary<string, string>());
        try
        {
            var started = program.WaitForLineAsync(line => line.Contains("Application started", StringComparison.Ordinal));
            var exited = program._process.WaitForExitAsync();
            if (await Task.WhenAny(started, exited).WaitAsync(TestTimeouts.Reload) != started)
            {
                throw new InvalidOperationException("The program exited:\n" + program.Output + await program._errors);
            }

            await started; // its own wait may have timed out first
            return program;
        }
        catch
        {
            await program.DisposeAsync();
            throw;
        }
    }

    /// <summary>Everything the program wrote to its console so far.</summary>
    public string Output
    {
        get
        {
            lock (_lines)
            {
                return string.Join('\n', _lines);
            }
        }
    }

    /// <summary>The first line, already written or to come, that matches.</summary>
    public Task<string> WaitForLineAsync(Func<string, bool> match)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lines)
        {
            if (_lines.Find(line => match(line)) is { } line)
            {
                return Task.FromResult(line);
            }

            _waiters.Add((match, seen));
        }

        return seen.Task.WaitAsync(TestTimeouts.Reload);
    }

    /// <summary>Sends the program a signal with <c>kill</c>, as an operator or systemd would.</summary>
    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>Waits for the program to end by itself and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync()
    {
        await _process.WaitForExitAsync().WaitAsync(TestTimeouts.Reload);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    private void Offer(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            _lines.Add(line);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(line))
                {
                    _waiters[i].Seen.TrySetResult(line);
                    _waiters.RemoveAt(i);
                }
            }
        }
    }
}
