using Microsoft.AspNetCore.Http;
using Proxy.Configuration;
using Proxy.Security;

namespace Proxy.Admin;

/// <summary>Checks the admin API key of a request (<c>X-Api-Key</c> or <c>Authorization: Bearer</c>) in constant time.</summary>
internal sealed class AdminKeys(IReadOnlyList<ApiKeyConfig> keys)
{
    /// <summary>The key id recorded when no key is configured (allowed on loopback only).</summary>
    public const string Anonymous = "anonymous";

    private readonly SecretSet _keys = new([.. keys.Select((key, i) => (key.Id ?? $"key-{i}", key.Key ?? string.Empty))]);

    public bool Required => _keys.Count > 0;

    /// <summary>The id of the key the request presents, or null when it presents none that is valid.</summary>
    public string? Authenticate(HttpRequest request)
    {
        if (!Required)
        {
            return Anonymous;
        }

        var presented = request.Headers["X-Api-Key"].ToString();
        if (presented.Length == 0)
        {
            presented = SecretSet.Bearer(request.Headers.Authorization.ToString()) ?? string.Empty;
        }

        return presented.Length == 0 ? null : _keys.Match(presented);
    }
}
