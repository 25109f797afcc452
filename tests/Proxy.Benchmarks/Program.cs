using Proxy.Benchmarks.Compare;
using Proxy.Benchmarks.Micro;

// dotnet run -c Release --project tests/Proxy.Benchmarks -- micro [BenchmarkDotNet args] | compare [--quick] [--only throughput|udp|idle]
return args switch
{
    ["micro", .. var rest] => MicroCommand.Run(rest),
    ["compare", .. var rest] => await CompareCommand.RunAsync(rest).ConfigureAwait(false),
    ["hold", .. var rest] => await HoldServer.RunAsync(rest).ConfigureAwait(false),
    ["handshakes", .. var rest] => await HandshakeLoad.RunAsync(rest).ConfigureAwait(false),
    ["tunnels", .. var rest] => await TunnelLoad.RunAsync(rest).ConfigureAwait(false),
    ["http-no-upstream", .. var rest] => await NoUpstreamHost.RunAsync(rest).ConfigureAwait(false),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Proxy.Benchmarks micro [BenchmarkDotNet args]   BenchmarkDotNet micro-benchmarks");
    Console.Error.WriteLine("       Proxy.Benchmarks compare [--quick] [--only throughput|udp|idle]   side-by-side against HAProxy, nginx, socat");
    return 2;
}
