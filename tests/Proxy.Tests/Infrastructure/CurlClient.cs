using System.Diagnostics;

namespace Proxy.Tests.Infrastructure;

/// <summary>What one curl run printed and how it exited.</summary>
public sealed record CurlResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"curl exited {ExitCode}; stdout: {Stdout}; stderr: {Stderr}";
}

/// <summary>Runs the real <c>/usr/bin/curl</c> the way a user would, with a clean proxy environment (no inherited
/// <c>*_proxy</c> variables, no <c>.curlrc</c>) and a hard timeout.</summary>
public static class CurlClient
{
    public const string Path = "/usr/bin/curl";

    private static readonly string[] ProxyVariables =
        ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY", "CURL_HOME"];

    /// <summary>Runs curl with <paramref name="arguments"/> (after <c>-q</c>, which must come first to skip .curlrc) and
    /// the extra <paramref name="environment"/> variables.</summary>
    public static async Task<CurlResult> RunAsync(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-q");
        start.ArgumentList.Add("--max-time");
        start.ArgumentList.Add("20");
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var name in ProxyVariables)
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("curl did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TestTimeouts.Io + TimeSpan.FromSeconds(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"curl {string.Join(' ', start.ArgumentList)} did not finish in time.");
        }

        return new CurlResult(process.ExitCode, await stdout, await stderr);
    }
}
