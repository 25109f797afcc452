using Proxy.Configuration;
using Proxy.Routing;
using Proxy.Security;

namespace Proxy.Relay;

/// <summary>The bearer tokens an egress accepts, compared in constant time; the id names the token in logs and limits.</summary>
internal sealed class RelayTokens
{
    private readonly SecretSet _tokens;

    private RelayTokens(SecretSet tokens) => _tokens = tokens;

    public static RelayTokens? Compile(IReadOnlyList<RelayTokenConfig> tokens, RouteActionContext context)
    {
        if (tokens.Count == 0)
        {
            context.Error("Action.Tokens", "A Relay route needs at least one token: an egress never accepts anonymous tunnels.");
            return null;
        }

        var entries = new (string, string)[tokens.Count];
        for (var i = 0; i < tokens.Count; i++)
        {
            if (string.IsNullOrEmpty(tokens[i].Id) || tokens[i].Secret is not { Length: >= 16 } secret)
            {
                context.Error($"Action.Tokens[{i}]", "A token needs an Id and a Secret of at least 16 characters.");
                return null;
            }

            entries[i] = (tokens[i].Id!, secret);
        }

        return new RelayTokens(new SecretSet(entries));
    }

    /// <summary>The id of the token in <c>Authorization: Bearer ...</c>, or null.</summary>
    public string? Verify(string? authorization) => SecretSet.Bearer(authorization) is { } token ? _tokens.Match(token) : null;
}
