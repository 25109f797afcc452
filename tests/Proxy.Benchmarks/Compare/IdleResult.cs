namespace Proxy.Benchmarks.Compare;

/// <summary>Resident memory of a contender before and while it holds <see cref="Connections"/> idle forwarded connections.</summary>
internal sealed record IdleResult(Contender Contender, int Connections, long RssBeforeBytes, long RssHeldBytes, int DescriptorsBefore, string? Error)
{
    public double BytesPerConnection => Connections > 0 ? (double)(RssHeldBytes - RssBeforeBytes) / Connections : double.NaN;
}
