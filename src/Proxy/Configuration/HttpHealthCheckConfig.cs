namespace Proxy.Configuration;

/// <summary>Health checks of an HTTP route's targets, mapped to YARP's active and passive checks.</summary>
public sealed record HttpHealthCheckConfig
{
    /// <summary>Probes each target periodically; a target failing consecutive probes is taken out until one succeeds.</summary>
    public ActiveHealthCheckSettings? Active { get; init; }

    /// <summary>Takes a target out after failed proxied requests, for <c>ReactivationPeriod</c>.</summary>
    public PassiveHealthCheckSettings? Passive { get; init; }
}

/// <summary>Active HTTP health probes.</summary>
public sealed record ActiveHealthCheckSettings
{
    /// <summary>Probe path, e.g. <c>/healthz</c>; default <c>/</c>.</summary>
    public string? Path { get; init; }

    /// <summary>Time between probes; default 15 s.</summary>
    public TimeSpan? Interval { get; init; }

    /// <summary>Time a probe may take; default 10 s.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>What every route kind's probes need: validation errors for an interval or timeout given but not positive.</summary>
    internal IEnumerable<(string Field, string Message)> SpanErrors()
    {
        if (Interval <= TimeSpan.Zero)
        {
            yield return ("Action.HealthCheck.Active.Interval", "Must be a positive time span such as 00:00:05.");
        }

        if (Timeout <= TimeSpan.Zero)
        {
            yield return ("Action.HealthCheck.Active.Timeout", "Must be a positive time span such as 00:00:02.");
        }
    }
}

/// <summary>Passive health from proxied traffic (YARP's transport failure rate policy).</summary>
public sealed record PassiveHealthCheckSettings
{
    /// <summary>How long an unhealthy target is left out; default 2 min.</summary>
    public TimeSpan? ReactivationPeriod { get; init; }
}
