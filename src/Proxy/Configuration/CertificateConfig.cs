namespace Proxy.Configuration;

/// <summary>A named server certificate in Kestrel's shape (<c>Proxy:Certificates:{name}</c>): a PFX with an optional
/// password, or a PEM certificate (chain) with its key; relative paths are under the content root.</summary>
public sealed record CertificateConfig
{
    /// <summary>The PFX file, or the PEM certificate file (which may also hold the chain).</summary>
    public string? Path { get; init; }

    /// <summary>The PEM private key file; absent for a PFX.</summary>
    public string? KeyPath { get; init; }

    /// <summary>The PFX password, or the password of an encrypted PEM key.</summary>
    public string? Password { get; init; }
}
