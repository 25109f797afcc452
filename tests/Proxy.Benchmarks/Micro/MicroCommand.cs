using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

namespace Proxy.Benchmarks.Micro;

/// <summary><c>micro [BenchmarkDotNet args]</c>: the BenchmarkDotNet switcher over this folder's benchmarks.</summary>
internal static class MicroCommand
{
    public static int Run(string[] args)
    {
        // Artifacts go beside the project (ignored by git there), not into whatever folder the command ran from.
        var config = DefaultConfig.Instance
            .WithArtifactsPath(Path.Combine(RepositoryPaths.BenchmarkProject, "BenchmarkDotNet.Artifacts"));
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(MicroCommand).Assembly).Run(args, config);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}
