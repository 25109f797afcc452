using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Proxy.Hosting;
using Proxy.Tests.Infrastructure;

namespace Proxy.Tests.Hosting;

/// <summary>The real program (<c>dotnet Proxy.dll</c>), which unlike the in-process test hosts runs socket continuations
/// inline (<see cref="RuntimeTuning"/>): forwarding, HTTP and CONNECT traffic at once through it, so nothing on those
/// paths blocks a socket engine thread.</summary>
public sealed class ProgramTests
{
    [Fact]
    public async Task Program_runs_socket_work_inline_and_serves_forward_http_and_connect_routes_at_once()
    {
        await using var echo = TcpBackend.Echo();
        await using var web = await HttpBackend.StartAsync("web");
        int forwardPort = TestClient.FreePort(), httpPort = TestClient.FreePort(), connectPort = TestClient.FreePort(), adminPort = TestClient.FreePort();
        var directory = Directory.CreateTempSubdirectory("proxy-program-").FullName;
        var settings = new
        {
            Serilog = new { MinimumLevel = new { Default = "Information", Override = new Dictionary<string, string> { ["Microsoft"] = "Warning", ["Microsoft.Hosting.Lifetime"] = "Information" } } },
            Proxy = new
            {
                BindAddress = "127.0.0.1",
                Admin = new { Urls = new[] { $"http://127.0.0.1:{adminPort}" } },
                Store = new { Path = Path.Combine(directory, "proxy.db") },
                Routes = new object[]
                {
                    new { Id = "fwd", Match = new { Ports = new[] { forwardPort } }, Action = new { Type = "Forward", Targets = new[] { echo.Address } } },
                    new { Id = "web", Match = new { Ports = new[] { httpPort } }, Action = new { Type = "Http", Targets = new[] { web.Url } } },
                    new
                    {
                        Id = "tunnel",
                        Match = new { Ports = new[] { connectPort } },
                        Acl = new { Allow = new[] { "127.0.0.0/8" } },
                        Action = new { Type = "Connect", AllowAnonymous = true, Destinations = new { Allow = new[] { $"127.0.0.1/32:{echo.Port}" } } },
                    },
                },
            },
        };
        await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), JsonSerializer.Serialize(settings));
        using var process = Process.Start(new ProcessStartInfo("dotnet", [typeof(ProxyHost).Assembly.Location])
        {
            WorkingDirectory = directory,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        var output = new StringBuilder();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            lock (output)
            {
                output.AppendLine(e.Data);
            }

            if (e.Data?.Contains("Application started", StringComparison.Ordinal) == true)
            {
                started.TrySetResult();
            }
        };
        process.BeginOutputReadLine();
        var errors = process.StandardError.ReadToEndAsync();
        try
        {
            var exited = process.WaitForExitAsync();
            Assert.True(await Task.WhenAny(started.Task, exited).WaitAsync(TestTimeouts.Reload) == started.Task, "the program exited:\n" + Text(output) + (exited.IsCompleted ? await errors : ""));
            Assert.Contains("Socket I/O: continuations inline on the socket engine threads", Text(output), StringComparison.Ordinal);
            using var http = new HttpClient { Timeout = TestTimeouts.Io };

            var payload = new string('x', 64 * 1024);
            var forwards = Enumerable.Range(0, 20).Select(async _ =>
            {
                using var socket = await TestClient.ConnectAsync(forwardPort);
                await socket.AssertEchoesAsync(payload);
            });
            var requests = Enumerable.Range(0, 50).Select(async i =>
            {
                var body = await http.GetStringAsync(new Uri($"http://127.0.0.1:{httpPort}/item/{i}"));
                Assert.Contains($"/item/{i}", body, StringComparison.Ordinal);
            });
            var tunnels = Enumerable.Range(0, 20).Select(async _ =>
            {
                using var socket = await ConnectClient.OpenTunnelAsync(connectPort, $"127.0.0.1:{echo.Port}");
                await socket.AssertEchoesAsync(payload);
            });
            await Task.WhenAll(forwards.Concat(requests).Concat(tunnels)).WaitAsync(TestTimeouts.Reload);

            var metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{adminPort}/metrics"));
            Assert.Contains("proxy_up 1", metrics, StringComparison.Ordinal);
            Assert.False(process.HasExited);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}
