using System.Security.Cryptography.X509Certificates;

namespace Proxy.Tests.Infrastructure;

/// <summary>A temporary directory of certificate files in the shapes <c>Proxy:Certificates</c> accepts (PEM certificate
/// and key, or a password-protected PFX), each returned as its configuration entry with absolute paths. The proxy loads
/// certificates when it starts (and again when a file changes), so the files are written before it and live until this
/// is disposed.</summary>
public sealed class CertificateFiles : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("proxy-certs-").FullName;

    /// <summary>The full path of <paramref name="relative"/> in the directory.</summary>
    public string PathOf(string relative) => System.IO.Path.Combine(_directory, relative);

    /// <summary>Writes <c>{name}.crt</c> and <c>{name}.key</c> (PKCS#8) and returns <c>{ Path, KeyPath }</c>.</summary>
    public object Pem(string name, X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var path = System.IO.Path.Combine(_directory, name + ".crt");
        var keyPath = System.IO.Path.Combine(_directory, name + ".key");
        using var key = certificate.GetRSAPrivateKey() ?? throw new ArgumentException("The certificate has no RSA private key.", nameof(certificate));
        File.WriteAllText(path, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return new { Path = path, KeyPath = keyPath };
    }

    /// <summary>Writes <c>{name}.pfx</c> protected by <paramref name="password"/> and returns <c>{ Path, Password }</c>.</summary>
    public object Pfx(string name, X509Certificate2 certificate, string password)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var path = System.IO.Path.Combine(_directory, name + ".pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, password));
        return new { Path = path, Password = password };
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
