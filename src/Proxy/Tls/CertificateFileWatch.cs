using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.FileProviders.Physical;
using Microsoft.Extensions.Primitives;

namespace Proxy.Tls;

/// <summary>Watches the certificate and key files of the configuration and reports each change, so a renewed
/// certificate (certbot, an ACME client, a mounted secret) is served without a restart or a configuration change, as
/// Caddy and Traefik do. A file replaced rather than rewritten counts (certbot repoints its <c>live/</c> links), and so
/// does a Kubernetes secret volume's swap of its <c>..data</c> link, through which every file of such a volume is read.</summary>
internal sealed class CertificateFileWatch : IDisposable
{
    private const string KubernetesDataLink = "..data";

    private readonly List<IDisposable> _watches = [];

    public CertificateFileWatch(IReadOnlyCollection<string> files, Action<string> changed)
    {
        Files = files;
        foreach (var directory in files.GroupBy(Path.GetDirectoryName, StringComparer.Ordinal))
        {
            if (directory.Key is null || !Directory.Exists(directory.Key))
            {
                continue; // A configuration whose files load has none such; nothing to watch if one goes missing later.
            }

            var provider = new PhysicalFileProvider(directory.Key, ExclusionFilters.None);
            _watches.Add(provider);
            foreach (var file in directory.Append(Path.Combine(directory.Key, KubernetesDataLink)))
            {
                var name = Path.GetFileName(file);
                _watches.Add(ChangeToken.OnChange(() => provider.Watch(name), () => changed(file)));
            }
        }
    }

    /// <summary>The files watched (full paths).</summary>
    public IReadOnlyCollection<string> Files { get; }

    public void Dispose()
    {
        foreach (var watch in _watches)
        {
            watch.Dispose();
        }
    }
}
