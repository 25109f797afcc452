using System.Diagnostics;

namespace Proxy.Tests.Infrastructure;

/// <summary>The openssl command line as a user runs it against the proxy (<c>s_client</c>).</summary>
public static class OpenSslClient
{
    /// <summary><c>openssl s_client -connect 127.0.0.1:port -servername name</c> with <paramref name="options"/>.</summary>
    public static Task<(int ExitCode, string Output)> SClientAsync(int port, string serverName, params string[] options)
        => RunAsync(["s_client", "-connect", $"127.0.0.1:{port.ToString(System.Globalization.CultureInfo.InvariantCulture)}", "-servername", serverName, .. options]);

    /// <summary>The base64 body of the first certificate in <paramref name="text"/> (as s_client prints it).</summary>
    public static string PemBody(string text)
    {
        const string Begin = "-----BEGIN CERTIFICATE-----", End = "-----END CERTIFICATE-----";
        var start = text.IndexOf(Begin, StringComparison.Ordinal);
        var end = text.IndexOf(End, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, $"No certificate in:\n{text}");
        return string.Concat(text[(start + Begin.Length)..end].Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>Runs openssl with stdin closed (as <c>&lt;/dev/null</c>), so s_client ends its session once connected.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("/usr/bin/openssl")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("openssl did not start.");
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TestTimeouts.Io);
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
