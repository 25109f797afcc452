using System.Security.Cryptography;
using System.Text;
using Proxy.Configuration;

namespace Proxy.Destinations;

/// <summary>The users of Connect and Socks5 routes (<c>Proxy:Users</c>), checked in constant time.</summary>
internal sealed class UserDirectory
{
    private static readonly byte[] Dummy = SHA256.HashData("dummy"u8);

    private readonly Dictionary<string, byte[]> _passwords;

    private UserDirectory(Dictionary<string, byte[]> passwords) => _passwords = passwords;

    public int Count => _passwords.Count;

    public static UserDirectory Compile(IReadOnlyList<UserConfig> users, ICollection<ConfigError> errors)
    {
        var passwords = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (var i = 0; i < users.Count; i++)
        {
            var (name, password) = (users[i].Name, users[i].Password);
            if (string.IsNullOrEmpty(name) || name.Length > 255 || name.Contains(':', StringComparison.Ordinal))
            {
                errors.Add(new ConfigError(null, $"Users[{i}].Name", "A user needs a name of 1-255 characters without ':'."));
            }
            else if (string.IsNullOrEmpty(password) || password.Length > 255)
            {
                errors.Add(new ConfigError(null, $"Users[{i}].Password", "A user needs a password of 1-255 characters."));
            }
            else if (!passwords.TryAdd(name, Hash(password)))
            {
                errors.Add(new ConfigError(null, $"Users[{i}].Name", $"User '{name}' is listed twice."));
            }
        }

        return new UserDirectory(passwords);
    }

    /// <summary>Whether the name and password match a user; takes the same time whether or not the name exists.</summary>
    public bool Verify(string name, string password)
    {
        var known = _passwords.TryGetValue(name, out var expected);
        return CryptographicOperations.FixedTimeEquals(Hash(password), expected ?? Dummy) && known;
    }

    /// <summary>Checks a <c>Basic</c> credential (RFC 7617) and returns the user name, or null.</summary>
    public string? VerifyBasic(string? authorization)
    {
        if (authorization is null || !authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        Span<byte> decoded = stackalloc byte[512];
        if (!Convert.TryFromBase64String(authorization[6..].Trim(), decoded, out var length))
        {
            return null;
        }

        var text = Encoding.UTF8.GetString(decoded[..length]);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && Verify(text[..colon], text[(colon + 1)..]) ? text[..colon] : null;
    }

    private static byte[] Hash(string password) => SHA256.HashData(Encoding.UTF8.GetBytes(password));
}
