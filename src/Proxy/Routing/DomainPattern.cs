namespace Proxy.Routing;

/// <summary>A route's domain: an exact name, a one-label wildcard (<c>*.example.com</c>) or <c>*</c> for any name.</summary>
internal readonly record struct DomainPattern
{
    /// <summary>Specificity scores used by <see cref="PortRoutes.Match"/>: exact beats wildcard beats any.</summary>
    public const int AnyScore = 1, WildcardScore = 2, ExactScore = 3;

    private DomainPattern(string text, string suffix, int score)
    {
        Text = text;
        Suffix = suffix;
        Score = score;
    }

    /// <summary>The pattern, lower-cased.</summary>
    public string Text { get; }

    /// <summary>For a wildcard, the part after the <c>*</c> (<c>.example.com</c>).</summary>
    private string Suffix { get; }

    public int Score { get; }

    public static bool TryParse(string? text, out DomainPattern pattern)
    {
        pattern = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var lower = text.Trim().ToLowerInvariant();
        if (lower == "*")
        {
            pattern = new DomainPattern(lower, string.Empty, AnyScore);
            return true;
        }

        if (lower.StartsWith("*.", StringComparison.Ordinal))
        {
            if (!IsHostName(lower.AsSpan(2)))
            {
                return false;
            }

            pattern = new DomainPattern(lower, lower[1..], WildcardScore);
            return true;
        }

        if (!IsHostName(lower))
        {
            return false;
        }

        pattern = new DomainPattern(lower, string.Empty, ExactScore);
        return true;
    }

    /// <summary>Whether <paramref name="name"/> (already lower-case, as the ClientHello parser returns it) matches.</summary>
    public bool Matches(string name) => Score switch
    {
        ExactScore => string.Equals(name, Text, StringComparison.Ordinal),
        // One label only, as a certificate wildcard matches (RFC 6125 §6.4.3): a.example.com, not a.b.example.com.
        WildcardScore => name.Length > Suffix.Length
            && name.EndsWith(Suffix, StringComparison.Ordinal)
            && name.AsSpan(0, name.Length - Suffix.Length).IndexOf('.') < 0,
        _ => true,
    };

    private static bool IsHostName(ReadOnlySpan<char> name)
    {
        if (name.Length is 0 or > 253 || name[0] == '.' || name[^1] == '.')
        {
            return false;
        }

        var labelLength = 0;
        foreach (var c in name)
        {
            if (c == '.')
            {
                if (labelLength == 0)
                {
                    return false;
                }

                labelLength = 0;
                continue;
            }

            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_') || ++labelLength > 63)
            {
                return false;
            }
        }

        return true;
    }
}
