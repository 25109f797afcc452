namespace Proxy.Benchmarks;

/// <summary>Where things are in the repository, found from the running binary so any working directory works.</summary>
internal static class RepositoryPaths
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    /// <summary>The folder holding Proxy.sln.</summary>
    public static string Root => RootPath.Value;

    public static string BenchmarkProject => Path.Combine(Root, "tests", "Proxy.Benchmarks");

    /// <summary>The Release build of the proxy under test (<c>dotnet build -c Release src/Proxy</c>).</summary>
    public static string ProxyDll => Path.Combine(Root, "src", "Proxy", "bin", "Release", "net10.0", "Proxy.dll");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Proxy.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Proxy.sln above {AppContext.BaseDirectory}.");
    }
}
