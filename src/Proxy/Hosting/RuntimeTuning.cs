using Microsoft.Extensions.Logging;

namespace Proxy.Hosting;

/// <summary>How the proxy runs its I/O. A proxy's work per event is small, so handing each socket event to a thread-pool
/// thread costs more than the work: a context switch and a wake-up per read (on one core, profiling showed half the
/// CPU in the scheduler). So the program (not the library, whose in-process hosts are the tests') runs socket
/// continuations inline on the socket engine's threads, one engine per core, as nginx runs one event loop per worker:
/// <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c> (read once, before the first socket), and Kestrel's
/// <see cref="Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets.SocketTransportOptions.UnsafePreferInlineScheduling"/>
/// follows it. The thread pool's idle spinning is off in the runtime configuration (Proxy.csproj). Nothing on these
/// paths blocks: the store, DNS and TLS are asynchronous. Setting the variable to 0 in the environment restores the
/// default scheduling.</summary>
public static partial class RuntimeTuning
{
    public const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Turns inline socket completions on for this process unless the environment already decides; must run
    /// before anything in the process opens a socket.</summary>
    public static void ApplyToProcess()
    {
        if (Environment.GetEnvironmentVariable(InlineCompletionsVariable) is null)
        {
            Environment.SetEnvironmentVariable(InlineCompletionsVariable, "1");
        }
    }

    /// <summary>Whether socket continuations run inline in this process (Kestrel's scheduling follows).</summary>
    public static bool InlineCompletions => Environment.GetEnvironmentVariable(InlineCompletionsVariable) == "1";

    /// <summary>Says at startup how socket work is scheduled.</summary>
    internal static void LogScheduling(ILogger logger) => Scheduling(
        logger, InlineCompletions ? "continuations inline on the socket engine threads (one per core)" : "continuations on the thread pool");

    [LoggerMessage(1, LogLevel.Information, "Socket I/O: {Scheduling}")]
    private static partial void Scheduling(ILogger logger, string scheduling);
}
