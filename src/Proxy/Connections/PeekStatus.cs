namespace Proxy.Connections;

/// <summary>How a peek at the client's first bytes ended.</summary>
internal enum PeekStatus
{
    Decided,
    TimedOut,
    ClientClosed,
}
