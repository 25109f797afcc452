using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Proxy.Tls;

/// <summary>A loaded server certificate, ready for handshakes (the context caches the chain once, not per connection).</summary>
internal sealed class ServerCertificate(string name, X509Certificate2 certificate, SslStreamCertificateContext context)
{
    public string Name { get; } = name;

    public X509Certificate2 Certificate { get; } = certificate;

    public SslStreamCertificateContext Context { get; } = context;
}
