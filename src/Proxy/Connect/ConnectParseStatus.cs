namespace Proxy.Connect;

/// <summary>What the CONNECT parser made of the bytes so far.</summary>
internal enum ConnectParseStatus
{
    Incomplete,
    Complete,

    /// <summary>Not a well-formed request, or a CONNECT target without a valid host and port (400).</summary>
    BadRequest,

    /// <summary>A well-formed request with another method (405).</summary>
    MethodNotAllowed,

    /// <summary>The header exceeds the limit (431).</summary>
    TooLarge,
}
