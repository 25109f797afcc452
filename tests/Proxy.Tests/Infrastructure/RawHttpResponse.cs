namespace Proxy.Tests.Infrastructure;

/// <summary>An HTTP/1.1 response as read off the wire by <see cref="RawHttpConnection"/>.</summary>
/// <param name="Status">The status code.</param>
/// <param name="Headers">Header fields by name (case-insensitive); repeated fields joined by commas.</param>
/// <param name="Body">The body (de-chunked), as UTF-8 text.</param>
public sealed record RawHttpResponse(int Status, IReadOnlyDictionary<string, string> Headers, string Body);
