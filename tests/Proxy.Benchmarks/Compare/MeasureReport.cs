namespace Proxy.Benchmarks.Compare;

/// <summary>What one measure contributes to results/latest.md: its own markdown sections (tables and how they were
/// taken), and its lines of the report's summary of the bar.</summary>
internal sealed record MeasureReport(string Markdown, IReadOnlyList<BarCheck> Bars);

/// <summary>One line of the bar: what is compared, this proxy's figure, the peer's, and whether the bar is met.</summary>
/// <param name="Bar">The bar as the issue states it, e.g. "TCP throughput 1 stream ≥ HAProxy (splice)".</param>
/// <param name="Ours">This proxy's figure, with its unit.</param>
/// <param name="Peer">The figure it is held against, with the peer's name.</param>
/// <param name="Ratio">Ours / peer's, oriented so that ≥ 1.00 meets the bar; NaN when either side failed.</param>
internal sealed record BarCheck(string Bar, string Ours, string Peer, double Ratio)
{
    public bool Met => double.IsFinite(Ratio) && Ratio >= 1.0;
}
