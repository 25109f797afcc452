using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Proxy.Configuration;
using Proxy.Listeners;
using Proxy.Routing;

namespace Proxy.Hosting;

/// <summary>The configuration in force: an immutable <see cref="ProxySnapshot"/> swapped atomically, with a change
/// token for watchers. Changes (a file reload now, the admin API later) are validated whole, their new ports
/// checked, then swapped in; a change that fails leaves the last good snapshot running.</summary>
internal sealed partial class LiveConfiguration : IDisposable
{
    private readonly IConfiguration _configuration;
    private readonly ProxyConfigCompiler _compiler;
    private readonly PortBindings _bindings;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _applyLock = new(1, 1);
    private readonly IDisposable _watch;
    private volatile ProxySnapshot _current;
    private CancellationTokenSource _changed = new();
    private string _fingerprint;
    private long _version;

    public LiveConfiguration(IConfiguration configuration, ProxyConfigCompiler compiler, PortBindings bindings, ILogger<LiveConfiguration> logger)
    {
        _configuration = configuration;
        _compiler = compiler;
        _bindings = bindings;
        _logger = logger;
        _fingerprint = Fingerprint(configuration);
        var options = Read(configuration, out var bindErrors);
        _current = (options is null ? null : compiler.Compile(options, ++_version, out bindErrors)) ?? Empty();
        StartupErrors = bindErrors;
        _ = bindings.PublishAsync(_current, CancellationToken.None);
        _watch = ChangeToken.OnChange(configuration.GetReloadToken, () => _ = ReloadFromConfigurationAsync());
    }

    public ProxySnapshot Current => _current;

    /// <summary>Why the configuration read at startup is invalid; empty when it is valid.</summary>
    public IReadOnlyList<ConfigError> StartupErrors { get; }

    /// <summary>Fires once, the next time a new snapshot is swapped in.</summary>
    public IChangeToken GetChangeToken() => new CancellationChangeToken(_changed.Token);

    /// <summary>Validates <paramref name="options"/> whole, checks its new ports, swaps it in and waits until its
    /// ports are bound. On any error nothing changes and the errors are returned.</summary>
    public async Task<IReadOnlyList<ConfigError>> ApplyAsync(ProxyOptions options, CancellationToken cancellationToken)
    {
        await _applyLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var next = _compiler.Compile(options, _version + 1, out var errors);
            if (next is null)
            {
                return errors;
            }

            errors = _bindings.CheckAvailable(next);
            if (errors.Count > 0)
            {
                return errors;
            }

            var previous = _current;
            Swap(next);
            var failed = await _bindings.PublishAsync(next, cancellationToken).ConfigureAwait(false);
            if (failed.Count == 0)
            {
                _version = next.Version;
                return [];
            }

            Swap(previous);
            await _bindings.PublishAsync(previous, cancellationToken).ConfigureAwait(false);
            var bindErrors = new List<ConfigError>(failed.Count);
            foreach (var port in failed)
            {
                bindErrors.Add(new ConfigError(null, "Ports", $"Port {port} could not be bound."));
            }

            return bindErrors;
        }
        finally
        {
            _applyLock.Release();
        }
    }

    public void Dispose()
    {
        _watch.Dispose();
        _changed.Dispose();
        _applyLock.Dispose();
    }

    private async Task ReloadFromConfigurationAsync()
    {
        // Every configuration reload lands here; only a change to the Proxy section matters.
        var fingerprint = Fingerprint(_configuration);
        if (fingerprint == Interlocked.Exchange(ref _fingerprint, fingerprint))
        {
            return;
        }

        try
        {
            var options = Read(_configuration, out var errors);
            if (options is not null)
            {
                errors = await ApplyAsync(options, CancellationToken.None).ConfigureAwait(false);
            }

            if (errors.Count == 0)
            {
                Log.Reloaded(_logger, _current.Version, _current.Routes.Count, _current.Ports.Count);
                return;
            }

            Log.ReloadRejected(_logger, errors.Count, _current.Version);
            foreach (var error in errors)
            {
                Log.ConfigError(_logger, error.RouteId ?? "-", error.Field, error.Message);
            }
        }
        catch (Exception ex)
        {
            Log.ReloadFailed(_logger, ex);
        }
    }

    private void Swap(ProxySnapshot next)
    {
        _current = next;
        var changed = Interlocked.Exchange(ref _changed, new CancellationTokenSource());
        changed.Cancel();
        changed.Dispose();
    }

    /// <summary>Binds the <c>Proxy</c> section; unknown keys and unconvertible values are errors, not silently ignored.</summary>
    public static ProxyOptions? Read(IConfiguration configuration, out IReadOnlyList<ConfigError> errors)
    {
        errors = [];
        try
        {
            return configuration.GetSection(ProxyOptions.SectionName).Get<ProxyOptions>(o => o.ErrorOnUnknownConfiguration = true)
                ?? new ProxyOptions();
        }
        catch (InvalidOperationException ex)
        {
            var message = ex.InnerException is null ? ex.Message : $"{ex.Message} {ex.InnerException.Message}";
            errors = [new ConfigError(null, ProxyOptions.SectionName, message)];
            return null;
        }
    }

    private static string Fingerprint(IConfiguration configuration)
    {
        var builder = new StringBuilder();
        foreach (var (key, value) in configuration.GetSection(ProxyOptions.SectionName).AsEnumerable().OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            builder.Append(key).Append('=').Append(value).Append('\n');
        }

        return builder.ToString();
    }

    private static ProxySnapshot Empty() => new()
    {
        Version = 0,
        Routes = [],
        Ports = System.Collections.Frozen.FrozenDictionary<int, PortRoutes>.Empty,
        Acl = new Networking.AccessList(Networking.NetworkList.Empty, Networking.NetworkList.Empty),
        Limits = EffectiveLimits.Defaults,
    };

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Configuration reloaded: version {Version}, {Routes} routes on {Ports} ports")]
        public static partial void Reloaded(ILogger logger, long version, int routes, int ports);

        [LoggerMessage(2, LogLevel.Error, "Configuration change rejected with {Count} errors; version {Version} keeps running")]
        public static partial void ReloadRejected(ILogger logger, int count, long version);

        [LoggerMessage(3, LogLevel.Error, "Configuration error: route {RouteId}, field {Field}: {Message}")]
        public static partial void ConfigError(ILogger logger, string routeId, string field, string message);

        [LoggerMessage(4, LogLevel.Error, "Configuration reload failed")]
        public static partial void ReloadFailed(ILogger logger, Exception exception);
    }
}
