namespace Proxy.Tests.Infrastructure;

/// <summary>What an <see cref="HttpBackend"/> saw of a request, sent back as its JSON response body.</summary>
/// <param name="Backend">The backend's name.</param>
/// <param name="Method">The request method.</param>
/// <param name="Path">The path as the backend received it (after the proxy's transforms).</param>
/// <param name="Query">The query string, with its leading <c>?</c>, or empty.</param>
/// <param name="Protocol">The protocol between the proxy and the backend, e.g. <c>HTTP/1.1</c>.</param>
/// <param name="Host">The Host header the backend received.</param>
/// <param name="Headers">Every request header, multiple values joined by commas.</param>
public sealed record BackendEcho(
    string Backend, string Method, string Path, string Query, string Protocol, string Host, IReadOnlyDictionary<string, string> Headers)
{
    /// <summary>The header's value, or null when the backend did not receive it.</summary>
    public string? Header(string name)
    {
        foreach (var (key, value) in Headers)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        return null;
    }
}
