using System.Security.Cryptography;
using System.Text;
using Proxy.Configuration;
using Proxy.Routing;

namespace Proxy.Relay;

/// <summary>The bearer tokens an egress accepts, compared in constant time; the id names the token in logs and limits.</summary>
internal sealed class RelayTokens
{
    private readonly (string Id, byte[] Hash)[] _tokens;

    private RelayTokens((string, byte[])[] tokens) => _tokens = tokens;

    public static RelayTokens? Compile(IReadOnlyList<RelayTokenConfig> tokens, RouteActionContext context)
    {
        if (tokens.Count == 0)
        {
            context.Error("Action.Tokens", "A Relay route needs at least one token: an egress never accepts anonymous tunnels.");
            return null;
        }

        var list = new (string, byte[])[tokens.Count];
        for (var i = 0; i < tokens.Count; i++)
        {
            if (string.IsNullOrEmpty(tokens[i].Id) || tokens[i].Secret is not { Length: >= 16 } secret)
            {
                context.Error($"Action.Tokens[{i}]", "A token needs an Id and a Secret of at least 16 characters.");
                return null;
            }

            list[i] = (tokens[i].Id!, Hash(secret));
        }

        return new RelayTokens(list);
    }

    /// <summary>The id of the token in <c>Authorization: Bearer ...</c>, or null.</summary>
    public string? Verify(string? authorization)
    {
        if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var hash = Hash(authorization[7..].Trim());
        string? match = null;
        foreach (var (id, expected) in _tokens)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, expected))
            {
                match ??= id;
            }
        }

        return match;
    }

    private static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));
}
