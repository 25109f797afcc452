using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Proxy.Configuration;
using Proxy.Http;
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
    private readonly HttpRouteFeed _http;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _applyLock = new(1, 1);
    private IDisposable? _watch;
    private volatile ProxySnapshot _current = Empty();
    private CancellationTokenSource _changed = new();
    private string _fingerprint = string.Empty;
    private long _version;

    public LiveConfiguration(
        IConfiguration configuration, ProxyConfigCompiler compiler, PortBindings bindings, HttpRouteFeed http, ILogger<LiveConfiguration> logger)
    {
        _configuration = configuration;
        _compiler = compiler;
        _bindings = bindings;
        _http = http;
        _logger = logger;
    }

    public ProxySnapshot Current => _current;

    public bool IsInitialized => _watch is not null;

    /// <summary>Loads the configuration before the server starts, so Kestrel binds the routes' ports at once, and starts
    /// watching for changes. Returns every error when the configuration is invalid (then nothing is served).</summary>
    public async Task<IReadOnlyList<ConfigError>> InitializeAsync()
    {
        if (IsInitialized)
        {
            return [];
        }

        _fingerprint = Fingerprint(_configuration);
        var options = Read(_configuration, out var errors);
        var snapshot = options is null ? null : _compiler.Compile(options, 1, out errors);
        if (snapshot is not null)
        {
            errors = await _http.ValidateAsync(snapshot).ConfigureAwait(false);
        }

        if (snapshot is null || errors.Count > 0)
        {
            return errors;
        }

        _version = 1;
        _current = snapshot;
        await _bindings.PublishAsync(snapshot, CancellationToken.None).ConfigureAwait(false);
        _http.Publish(snapshot);
        _watch = ChangeToken.OnChange(_configuration.GetReloadToken, () => _ = ReloadFromConfigurationAsync());
        return [];
    }

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

            errors = await _http.ValidateAsync(next).ConfigureAwait(false);
            if (errors.Count > 0)
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
            _http.Publish(next);
            var failed = await _bindings.PublishAsync(next, cancellationToken).ConfigureAwait(false);
            if (failed.Count == 0)
            {
                _version = next.Version;
                if (!await _http.WaitAppliedAsync(next, cancellationToken).ConfigureAwait(false))
                {
                    Log.HttpApplySlow(_logger, next.Version);
                }

                return [];
            }

            Swap(previous);
            _http.Publish(previous);
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
        _watch?.Dispose();
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

        [LoggerMessage(5, LogLevel.Warning, "YARP had not applied the HTTP routes of version {Version} after 10 s")]
        public static partial void HttpApplySlow(ILogger logger, long version);
    }
}
