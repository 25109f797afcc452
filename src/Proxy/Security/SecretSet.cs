using System.Security.Cryptography;
using System.Text;

namespace Proxy.Security;

/// <summary>A set of named secrets (admin API keys, relay tokens) checked in constant time: the presented value is
/// hashed, so every comparison has the same length, and every entry is compared so timing does not reveal which
/// one matched.</summary>
internal sealed class SecretSet
{
    private readonly (string Id, byte[] Hash)[] _entries;

    public SecretSet(IReadOnlyList<(string Id, string Secret)> entries)
    {
        _entries = new (string, byte[])[entries.Count];
        for (var i = 0; i < entries.Count; i++)
        {
            _entries[i] = (entries[i].Id, Hash(entries[i].Secret));
        }
    }

    public int Count => _entries.Length;

    /// <summary>The id of the entry whose secret is <paramref name="presented"/>, or null.</summary>
    public string? Match(string presented)
    {
        var hash = Hash(presented);
        string? match = null;
        foreach (var (id, expected) in _entries)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, expected))
            {
                match ??= id;
            }
        }

        return match;
    }

    /// <summary>The secret of <c>Authorization: Bearer &lt;secret&gt;</c>, or null.</summary>
    public static string? Bearer(string? authorization)
        => authorization is not null && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization[7..].Trim() : null;

    private static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));
}
