using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.FileProviders.Physical;
using Microsoft.Extensions.Primitives;

namespace Proxy.Tls;

/// <summary>Watches the certificate and key files of the configuration and reports a change once the files have
/// settled, so a renewed certificate (certbot, an ACME client, a mounted secret) is served without a restart or a
/// configuration change, as Caddy and Traefik do. A file replaced rather than rewritten counts (certbot repoints its
/// <c>live/</c> links), and so does a Kubernetes secret volume's swap of its <c>..data</c> link, through which every
/// file of such a volume is read.</summary>
internal sealed class CertificateFileWatch : IDisposable
{
    /// <summary>How long the files must stay unchanged before the change is reported: a renewal writes the certificate
    /// and the key one after the other, and either alone does not match the other.</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(500);

    private const string KubernetesDataLink = "..data";

    private readonly List<IDisposable> _watches = [];
    private readonly Action<string> _settled;
    private long _changes;
    private volatile bool _disposed;

    /// <param name="files">Full paths.</param>
    /// <param name="settled">Called with the last file that changed, <see cref="Settle"/> after the last change.</param>
    public CertificateFileWatch(IReadOnlyCollection<string> files, Action<string> settled)
    {
        Files = files;
        _settled = settled;
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
                _watches.Add(ChangeToken.OnChange(() => provider.Watch(name), () => _ = ChangedAsync(file)));
            }
        }
    }

    /// <summary>The files watched (full paths).</summary>
    public IReadOnlyCollection<string> Files { get; }

    public void Dispose()
    {
        _disposed = true;
        foreach (var watch in _watches)
        {
            watch.Dispose();
        }
    }

    private async Task ChangedAsync(string file)
    {
        var change = Interlocked.Increment(ref _changes);
        await Task.Delay(Settle).ConfigureAwait(false);
        if (change == Interlocked.Read(ref _changes) && !_disposed)
        {
            _settled(file); // Otherwise changed again meanwhile (the last change reports), or no longer watched.
        }
    }
}
