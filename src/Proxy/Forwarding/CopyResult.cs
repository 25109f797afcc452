namespace Proxy.Forwarding;

/// <summary>How one direction of a relay ended; failures are values, not exceptions, on the hot path.</summary>
internal enum CopyResult
{
    /// <summary>The source sent FIN and it was passed on to the destination.</summary>
    Completed,
    SourceFailed,
    DestinationFailed,
    Canceled,
}
