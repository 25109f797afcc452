using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Proxy.Configuration;

namespace Proxy.Tls;

/// <summary>Loads <c>Proxy:Certificates</c> entries (PFX, or PEM certificate and key) and reports what is wrong with each.</summary>
internal static class CertificateLoader
{
    public static Dictionary<string, ServerCertificate> LoadAll(
        IReadOnlyDictionary<string, CertificateConfig> configs, string contentRoot, ICollection<ConfigError> errors)
    {
        var certificates = new Dictionary<string, ServerCertificate>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, config) in configs)
        {
            if (Load(name, config, contentRoot, errors) is { } certificate)
            {
                certificates[name] = certificate;
            }
        }

        return certificates;
    }

    /// <summary>The files the entries are loaded from (certificates and keys), as full paths, for watching.</summary>
    public static IReadOnlyCollection<string> Files(IReadOnlyDictionary<string, CertificateConfig> configs, string contentRoot)
    {
        var files = new HashSet<string>(StringComparer.Ordinal);
        foreach (var config in configs.Values)
        {
            if (!string.IsNullOrWhiteSpace(config.Path))
            {
                files.Add(FullPath(config.Path, contentRoot));
            }

            if (!string.IsNullOrWhiteSpace(config.KeyPath))
            {
                files.Add(FullPath(config.KeyPath, contentRoot));
            }
        }

        return files;
    }

    private static ServerCertificate? Load(string name, CertificateConfig config, string contentRoot, ICollection<ConfigError> errors)
    {
        var field = $"Certificates:{name}";
        if (string.IsNullOrWhiteSpace(config.Path))
        {
            errors.Add(new ConfigError(null, field + ".Path", "A certificate needs a Path (PFX, or PEM with KeyPath)."));
            return null;
        }

        var path = FullPath(config.Path, contentRoot);
        var keyPath = config.KeyPath is null ? null : FullPath(config.KeyPath, contentRoot);
        try
        {
            X509Certificate2 certificate;
            var chain = new X509Certificate2Collection();
            if (keyPath is null)
            {
                certificate = X509CertificateLoader.LoadPkcs12FromFile(path, config.Password, X509KeyStorageFlags.EphemeralKeySet);
            }
            else
            {
                using var pem = config.Password is null
                    ? X509Certificate2.CreateFromPemFile(path, keyPath)
                    : X509Certificate2.CreateFromEncryptedPemFile(path, config.Password, keyPath);
                // Round-trip through PKCS#12 so the key is usable by SslStream on every platform.
                certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.EphemeralKeySet);
                chain.ImportFromPemFile(path);
                RemoveLeaf(chain, certificate);
            }

            if (!certificate.HasPrivateKey)
            {
                errors.Add(new ConfigError(null, field + ".Path", $"'{config.Path}' has no private key."));
                return null;
            }

            return new ServerCertificate(name, certificate, System.Net.Security.SslStreamCertificateContext.Create(certificate, chain, offline: true));
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            errors.Add(new ConfigError(null, field + ".Path", $"Cannot load '{config.Path}'{(keyPath is null ? string.Empty : $" with key '{config.KeyPath}'")}: {ex.Message}"));
            return null;
        }
    }

    /// <summary>Where a configured path points: relative paths are under the content root.</summary>
    private static string FullPath(string path, string contentRoot) => Path.GetFullPath(path, contentRoot);

    private static void RemoveLeaf(X509Certificate2Collection chain, X509Certificate2 leaf)
    {
        for (var i = chain.Count - 1; i >= 0; i--)
        {
            if (chain[i].Thumbprint == leaf.Thumbprint)
            {
                chain.RemoveAt(i);
            }
        }
    }
}
