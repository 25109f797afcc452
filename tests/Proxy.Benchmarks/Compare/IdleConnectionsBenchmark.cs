using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Proxy.Benchmarks.Compare;

/// <summary>Memory per idle forwarded connection: each contender forwards to a holding server (a child process) while
/// the harness opens <see cref="CompareOptions.IdleConnections"/> connections and sends nothing. Reports the
/// contender's resident memory (VmRSS over its processes) before and once the holder has them all.</summary>
internal sealed class IdleConnectionsBenchmark(CompareOptions options, IReadOnlyList<Contender> contenders) : IMeasure
{
    /// <summary>The bar: at most 8 KiB per idle forwarded connection.</summary>
    private const double BarBytesPerConnection = 8 * 1024;

    private const int WarmUpConnections = 200;
    private const int ConnectWorkers = 16;
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(3);

    public string Key => "idle";

    public async Task<MeasureReport> RunAsync(CancellationToken cancellation)
    {
        var rows = await MeasureAllAsync(cancellation).ConfigureAwait(false);
        var ours = rows.FirstOrDefault(r => r.Contender is ProxyContender && r.Error is null);
        var peers = rows.Where(r => r.Contender.IsPeer && r.Error is null).ToList();
        var bars = new List<BarCheck>();
        if (ours is not null)
        {
            bars.Add(new BarCheck(
                "≤ 8 KiB per idle forwarded connection", Kib(ours), "8.00 KiB (the bar)", BarBytesPerConnection / ours.BytesPerConnection));
        }

        return new MeasureReport(Render(rows, peers), bars);
    }

    private static string Kib(IdleResult row) =>
        string.Create(CultureInfo.InvariantCulture, $"{row.BytesPerConnection / 1024:F2} KiB at {row.Connections:N0}");

    private string Render(List<IdleResult> rows, List<IdleResult> peers)
    {
        var md = new System.Text.StringBuilder("## Memory per idle forwarded connection\n\n");
        var limit = options.IdleConnections < CompareOptions.RequestedIdleConnections
            ? $" (not {CompareOptions.RequestedIdleConnections:N0}: the open-file hard limit here is {FileLimits.Hard:N0}, no child can raise it, and each forwarded connection holds two descriptors in the contender)"
            : "";
        md.Append(CultureInfo.InvariantCulture, $"{options.IdleConnections:N0} connections opened and held idle{limit}; resident memory (VmRSS, all the contender's processes) ")
            .Append("after a warm-up of 200 connections, then with all of them held. Lower is better; socat (a process per connection) is not measured.\n\n");
        var best = peers.Count > 0 ? peers.Min(r => r.BytesPerConnection) : double.NaN;
        var table = new MarkdownTable("Contender", "Connections", "RSS before", "RSS held", "KiB per connection", "vs best peer", "Descriptors before");
        foreach (var row in rows)
        {
            if (row.Error is not null && row.Connections == 0)
            {
                table.Failed(row.Contender.Name, row.Error);
                continue;
            }

            var note = row.Error is null ? "" : $" ({row.Error})";
            table.Row(
                row.Contender.Name, row.Connections.ToString("N0", CultureInfo.InvariantCulture) + note, MarkdownTable.Mib(row.RssBeforeBytes),
                MarkdownTable.Mib(row.RssHeldBytes), MarkdownTable.Number(row.BytesPerConnection / 1024, "F2"),
                MarkdownTable.Ratio(row.BytesPerConnection, best), row.DescriptorsBefore.ToString(CultureInfo.InvariantCulture));
        }

        return md.Append(table).Append('\n').ToString();
    }

    private async Task<List<IdleResult>> MeasureAllAsync(CancellationToken cancellation)
    {
        var results = new List<IdleResult>();
        var holdPort = LoopbackPorts.Free();
        var lifetime = TimeSpan.FromMinutes(3 * contenders.Count + 2);
        var self = typeof(HoldServer).Assembly.Location;
        await using var holder = Pinned.Start(
            Pinned.LoadCore, "dotnet", [self, "hold", Text(holdPort), Text((int)lifetime.TotalSeconds)], lifetime + TimeSpan.FromMinutes(1));
        if (!await LoopbackPorts.WaitListeningAsync(holdPort, holder, TimeSpan.FromSeconds(30), cancellation).ConfigureAwait(false))
        {
            throw new InvalidOperationException($"the holding server did not listen: {holder.Error}");
        }

        foreach (var contender in contenders.Where(c => c.MeasuresIdleConnections))
        {
            Console.WriteLine($"idle connections: {contender.Name} ({options.IdleConnections})");
            try
            {
                results.Add(await MeasureAsync(contender, holdPort, cancellation).ConfigureAwait(false));
            }
            catch (Exception ex) when (ex is InvalidOperationException or SocketException or IOException)
            {
                Console.WriteLine($"  failed: {ex.Message}");
                results.Add(new IdleResult(contender, 0, 0, 0, 0, ex.Message.Split('\n')[0]));
            }

            // Let the holder see every close before the next contender is counted.
            await WaitAsync(() => LoopbackPorts.EstablishedOn(holdPort) == 0, TimeSpan.FromSeconds(30), cancellation).ConfigureAwait(false);
        }

        return results;
    }

    private async Task<IdleResult> MeasureAsync(Contender contender, int holdPort, CancellationToken cancellation)
    {
        var count = options.IdleConnections;
        await using var running = await contender.StartAsync(holdPort, count, TimeSpan.FromMinutes(3), cancellation).ConfigureAwait(false);
        var pid = running.Process!.Pid;

        // Warm the accept and dial paths, then let them close, so the baseline is a contender that has served.
        var warm = await OpenAsync(running.Port, WarmUpConnections, cancellation).ConfigureAwait(false);
        await WaitAsync(() => LoopbackPorts.EstablishedOn(holdPort) >= WarmUpConnections, TimeSpan.FromSeconds(30), cancellation).ConfigureAwait(false);
        CloseAll(warm);
        await WaitAsync(() => LoopbackPorts.EstablishedOn(holdPort) == 0, TimeSpan.FromSeconds(30), cancellation).ConfigureAwait(false);
        await Task.Delay(Settle, cancellation).ConfigureAwait(false);
        var before = ProcessTree.SumStatusBytes(pid, "VmRSS");
        var descriptors = ProcessTree.OpenDescriptors(pid);

        var overflowsBefore = LoopbackPorts.ListenOverflows();
        var sockets = await OpenAsync(running.Port, count, cancellation).ConfigureAwait(false);
        try
        {
            var all = await WaitAsync(() => LoopbackPorts.EstablishedOn(holdPort) >= count, TimeSpan.FromSeconds(60), cancellation).ConfigureAwait(false);
            await Task.Delay(Settle, cancellation).ConfigureAwait(false);
            var held = ProcessTree.SumStatusBytes(pid, "VmRSS");
            var reached = LoopbackPorts.EstablishedOn(holdPort);
            var result = new IdleResult(contender, count, before, held, descriptors, all ? null : Shortfall(running.Port, reached, count, overflowsBefore));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {before / 1048576.0:F1} MiB -> {held / 1048576.0:F1} MiB, {result.BytesPerConnection / 1024:F2} KiB per connection"));
            return result;
        }
        finally
        {
            CloseAll(sockets);
        }
    }

    /// <summary>Why some connections never reached the target: closed by the contender (the client sees close-wait), or
    /// still open at the client but never accepted (the kernel counts listen-queue overflows).</summary>
    private static string Shortfall(int port, int reached, int count, long overflowsBefore)
    {
        var closed = LoopbackPorts.ToRemote(port, LoopbackPorts.CloseWait);
        var open = LoopbackPorts.ToRemote(port, LoopbackPorts.Established);
        var overflows = LoopbackPorts.ListenOverflows() - overflowsBefore;
        return string.Create(CultureInfo.InvariantCulture,
            $"only {reached} of {count} reached the target; at the client {open} open, {closed} closed by the contender; {overflows} listen-queue overflows");
    }

    private static async Task<List<Socket>> OpenAsync(int port, int count, CancellationToken cancellation)
    {
        var sockets = new List<Socket>(count);
        var next = -1;
        var endpoint = new IPEndPoint(IPAddress.Loopback, port);
        async Task WorkerAsync()
        {
            while (Interlocked.Increment(ref next) < count)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
                    timeout.CancelAfter(TimeSpan.FromSeconds(10));
                    await socket.ConnectAsync(endpoint, timeout.Token).ConfigureAwait(false);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }

                lock (sockets)
                {
                    sockets.Add(socket);
                }
            }
        }

        try
        {
            await Task.WhenAll(Enumerable.Range(0, ConnectWorkers).Select(_ => WorkerAsync())).ConfigureAwait(false);
        }
        catch
        {
            CloseAll(sockets);
            throw;
        }

        return sockets;
    }

    private static void CloseAll(List<Socket> sockets)
    {
        foreach (var socket in sockets)
        {
            socket.Dispose();
        }

        sockets.Clear();
    }

    private static async Task<bool> WaitAsync(Func<bool> condition, TimeSpan timeout, CancellationToken cancellation)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(200, cancellation).ConfigureAwait(false);
        }

        return true;
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
