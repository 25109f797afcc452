using System.IO.Pipelines;

namespace Proxy.Connections;

/// <summary>Reads a connection's input until a parser decides, bounded in time, leaving every byte in the pipe.</summary>
internal static class ClientPeek
{
    public static async ValueTask<PeekStatus> PeekAsync(PipeReader input, IPeekParser parser, TimeSpan timeout)
    {
        using var timer = new CancellationTokenSource(timeout);
        // CancelPendingRead yields a cancelled ReadResult instead of an exception: a slow client is an expected case.
        using var registration = timer.Token.UnsafeRegister(static state => ((PipeReader)state!).CancelPendingRead(), input);
        while (true)
        {
            var result = await input.ReadAsync().ConfigureAwait(false);
            var buffer = result.Buffer;
            if (parser.TryDecide(buffer))
            {
                input.AdvanceTo(buffer.Start);
                return PeekStatus.Decided;
            }

            if (result.IsCanceled || result.IsCompleted)
            {
                input.AdvanceTo(buffer.Start);
                return result.IsCompleted ? PeekStatus.ClientClosed : PeekStatus.TimedOut;
            }

            // Examined everything, consumed nothing: the next read waits for new bytes instead of spinning.
            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }
}
