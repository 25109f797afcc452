using Proxy.Configuration;

namespace Proxy.Hosting;

/// <summary>The configuration read at startup is invalid; <see cref="Errors"/> lists every problem.</summary>
public sealed class ProxyConfigurationException : Exception
{
    public ProxyConfigurationException(IReadOnlyList<ConfigError> errors)
        : base($"The configuration is invalid ({errors.Count} errors):{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", errors)}")
        => Errors = errors;

    public ProxyConfigurationException()
        : this([])
    {
    }

    public ProxyConfigurationException(string message)
        : base(message) => Errors = [];

    public ProxyConfigurationException(string message, Exception innerException)
        : base(message, innerException) => Errors = [];

    public IReadOnlyList<ConfigError> Errors { get; }
}
