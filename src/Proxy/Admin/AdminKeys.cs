using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Proxy.Configuration;

namespace Proxy.Admin;

/// <summary>Checks the admin API key of a request (<c>X-Api-Key</c> or <c>Authorization: Bearer</c>) in constant time.</summary>
internal sealed class AdminKeys
{
    /// <summary>The key id recorded when no key is configured (allowed on loopback only).</summary>
    public const string Anonymous = "anonymous";

    private readonly (string Id, byte[] Hash)[] _keys;

    public AdminKeys(IReadOnlyList<ApiKeyConfig> keys)
    {
        _keys = new (string, byte[])[keys.Count];
        for (var i = 0; i < keys.Count; i++)
        {
            _keys[i] = (keys[i].Id ?? $"key-{i}", Hash(keys[i].Key ?? string.Empty));
        }
    }

    public bool Required => _keys.Length > 0;

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
            var authorization = request.Headers.Authorization.ToString();
            if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                presented = authorization[7..].Trim();
            }
        }

        if (presented.Length == 0)
        {
            return null;
        }

        // Hashing first gives equal lengths, so FixedTimeEquals compares in time independent of the key.
        var hash = Hash(presented);
        string? match = null;
        foreach (var (id, keyHash) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, keyHash))
            {
                match ??= id;
            }
        }

        return match;
    }

    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
