using System.Globalization;

namespace Proxy.Routing;

/// <summary>An inclusive range of TCP/UDP ports, written <c>"443"</c> or <c>"9000-9010"</c>.</summary>
internal readonly record struct PortRange(int First, int Last)
{
    public int Count => Last - First + 1;

    public bool Contains(int port) => port >= First && port <= Last;

    public static bool TryParse(string? text, out PortRange range)
    {
        range = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var span = text.AsSpan().Trim();
        var dash = span.IndexOf('-');
        if (dash < 0)
        {
            if (!TryParsePort(span, out var port))
            {
                return false;
            }

            range = new PortRange(port, port);
            return true;
        }

        if (!TryParsePort(span[..dash].Trim(), out var first) || !TryParsePort(span[(dash + 1)..].Trim(), out var last) || last < first)
        {
            return false;
        }

        range = new PortRange(first, last);
        return true;
    }

    public static bool TryParsePort(ReadOnlySpan<char> text, out int port)
        => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 1 and <= 65535;

    public override string ToString() => First == Last
        ? First.ToString(CultureInfo.InvariantCulture)
        : string.Create(CultureInfo.InvariantCulture, $"{First}-{Last}");
}
