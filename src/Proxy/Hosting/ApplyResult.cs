using Proxy.Configuration;

namespace Proxy.Hosting;

/// <summary>The outcome of a configuration change: applied, or why not.</summary>
internal sealed record ApplyResult(ApplyOutcome Outcome, IReadOnlyList<ConfigError> Errors)
{
    public static ApplyResult Applied { get; } = new(ApplyOutcome.Applied, []);

    public bool Succeeded => Outcome == ApplyOutcome.Applied;

    public static ApplyResult Invalid(IReadOnlyList<ConfigError> errors) => new(ApplyOutcome.Invalid, errors);
}

/// <summary>Why a change was or was not applied.</summary>
internal enum ApplyOutcome
{
    Applied,

    /// <summary>Validation failed; nothing changed.</summary>
    Invalid,

    /// <summary>A port the change needs is held by another socket; nothing changed.</summary>
    PortUnavailable,

    /// <summary>Only validated (a dry run); nothing was meant to change.</summary>
    Validated,
}
