using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Proxy.Configuration;
using Proxy.Hosting;
using Proxy.Tests.Infrastructure;

namespace Proxy.Tests.Hosting;

public sealed class StartupTests
{
    [Fact]
    public async Task Proxy_refuses_to_start_with_an_invalid_file_and_lists_every_error()
    {
        var directory = Directory.CreateTempSubdirectory("proxy-startup-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), ProxyTestHost.Serialize(new
            {
                Routes = new object[]
                {
                    new { Id = "a", Match = new { Ports = new[] { "70000" } }, Action = new { Type = "Forward", Targets = new[] { "127.0.0.1:1" } } },
                    new { Id = "b", Match = new { Ports = new[] { "7001" }, ClientIps = new[] { "10.0.0.0/99" } }, Action = new { Type = "Teleport" } },
                    new { Id = "a", Match = new { Ports = new[] { "7002" } }, Action = new { Type = "Handler", Handler = "missing" } },
                },
            }, TestClient.FreePort()));

            // The real program, as `dotnet run` starts it, with the file in its working directory.
            using var process = Process.Start(new ProcessStartInfo("dotnet", [typeof(ProxyHost).Assembly.Location])
            {
                WorkingDirectory = directory,
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            })!;
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEndAsync();
            using var cts = new CancellationTokenSource(TestTimeouts.Reload);
            await process.WaitForExitAsync(cts.Token);

            var errors = await stderr;
            Assert.Equal(1, process.ExitCode);
            Assert.Contains("Route 'a': Match.Ports[0]: '70000' is not a port", errors, StringComparison.Ordinal);
            Assert.Contains("Route 'b': Match.ClientIps[0]", errors, StringComparison.Ordinal);
            Assert.Contains("Route 'b': Action.Type: 'Teleport' is not an action type", errors, StringComparison.Ordinal);
            Assert.Contains("Route 'a': Id: Another route has the same id.", errors, StringComparison.Ordinal);
            Assert.Contains("Route 'a': Action.Handler: No handler named 'missing'", errors, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", errors + await stdout, StringComparison.Ordinal); // No stack trace.
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Shipped_appsettings_json_is_valid_and_serves_the_demo()
    {
        var shipped = Path.Combine(FindRepositoryRoot(), "appsettings.json");
        var configuration = new ConfigurationBuilder().AddJsonFile(shipped).Build();
        var options = LiveConfiguration.Read(configuration, out var bindErrors);
        Assert.Empty(bindErrors);
        Assert.NotNull(options);
        var (builder, directory, _, _) = ProxyTestHost.CreateBuilder(new { });
        await using (var app = builder.Build())
        {
            var compiler = app.Services.GetRequiredService<ProxyConfigCompiler>();
            Assert.NotNull(compiler.Compile(options, 1, out var errors));
            Assert.Empty(errors);
        }

        Directory.Delete(directory, recursive: true);
    }

    private static string FindRepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Proxy.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Proxy.sln not found above the test output.");
    }
}
