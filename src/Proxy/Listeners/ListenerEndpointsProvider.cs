using Microsoft.Extensions.Configuration;

namespace Proxy.Listeners;

/// <summary>A configuration source whose keys are Kestrel <c>Endpoints</c> entries computed from the routes.
/// Kestrel has no API to add or remove endpoints at run time; it rebinds when its configuration reloads, so
/// replacing this provider's data and signalling a reload is how ports come and go (KESTREL.md, "Endpoints at runtime").</summary>
internal sealed class ListenerEndpointsProvider : ConfigurationProvider, IConfigurationSource
{
    public IConfigurationProvider Build(IConfigurationBuilder builder) => this;

    /// <summary>Replaces every endpoint and signals Kestrel.</summary>
    public void SetEndpoints(IReadOnlyDictionary<string, string> urlsByName)
    {
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, url) in urlsByName)
        {
            data[$"Endpoints:{name}:Url"] = url;
        }

        Data = data;
        OnReload();
    }
}
