namespace Proxy.Benchmarks.Compare;

/// <summary>One measure of <c>compare</c> (throughput, connection rate, HTTP, ...): starts what it needs, runs every
/// contender through it, stops everything it started, and renders its part of the report.</summary>
internal interface IMeasure
{
    /// <summary>The name <c>--only</c> selects it by.</summary>
    string Key { get; }

    Task<MeasureReport> RunAsync(CancellationToken cancellation);
}
