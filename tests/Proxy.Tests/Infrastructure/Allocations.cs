namespace Proxy.Tests.Infrastructure;

/// <summary>Measures what a piece of code allocates on this thread, outside xunit's own assertions.</summary>
public static class Allocations
{
    /// <summary>Runs <paramref name="action"/> once to warm it up, then returns its result and the bytes a second run allocated.</summary>
    public static (T Result, long Bytes) Measure<T>(Func<T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        action();
        var before = GC.GetAllocatedBytesForCurrentThread();
        var result = action();
        return (result, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
