namespace Proxy.Configuration;

/// <summary>Passive health: a target that fails to connect <see cref="MaxFailures"/> times in a row is skipped for <see cref="CoolDown"/>.</summary>
public sealed record PassiveHealthConfig
{
    /// <summary>Consecutive connect failures that mark a target down; default 3.</summary>
    public int? MaxFailures { get; init; }

    /// <summary>How long a down target is skipped before it is tried again; default 10 s.</summary>
    public TimeSpan? CoolDown { get; init; }
}
