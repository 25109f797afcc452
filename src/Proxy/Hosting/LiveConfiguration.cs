using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Proxy.Admin;
using Proxy.Configuration;
using Proxy.Http;
using Proxy.Listeners;
using Proxy.Routing;
using Proxy.Store;
using Proxy.Tls;
using Proxy.Udp;

namespace Proxy.Hosting;

/// <summary>The configuration in force: an immutable <see cref="ProxySnapshot"/> swapped atomically, with a change
/// token for watchers. It is made of the routes of <c>appsettings.json</c> (reloaded when the file changes) and the
/// routes of the admin API (kept in the route store). Every change is validated whole, its new ports checked,
/// persisted, then swapped in; a change that fails leaves the last good snapshot running. The certificate files it names
/// are watched too: a renewed certificate is loaded (the whole configuration recompiled, as on a reload) and served to
/// the next handshakes.</summary>
internal sealed partial class LiveConfiguration : IDisposable
{
    private readonly IConfiguration _configuration;
    private readonly ProxyConfigCompiler _compiler;
    private readonly PortBindings _bindings;
    private readonly HttpRouteFeed _http;
    private readonly IRouteStore _store;
    private readonly RouteDrain _drain;
    private readonly UdpListeners _udp;
    private readonly AdminSettings _admin;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _applyLock = new(1, 1);
    private readonly SemaphoreSlim _reloadGate = new(1, 1);
    private IDisposable? _watch;
    private CertificateFileWatch? _certificateWatch;
    private volatile ProxySnapshot _current = ProxySnapshot.Empty;
    private CancellationTokenSource _changed = new();
    private string _fingerprint = string.Empty;
    private ProxyOptions _file = new();
    private IReadOnlyList<StoredRoute> _apiRoutes = [];

    public LiveConfiguration(
        IConfiguration configuration, ProxyConfigCompiler compiler, PortBindings bindings, HttpRouteFeed http, IRouteStore store,
        RouteDrain drain, UdpListeners udp, AdminSettings admin, ILogger<LiveConfiguration> logger)
    {
        _admin = admin;
        _udp = udp;
        _configuration = configuration;
        _compiler = compiler;
        _bindings = bindings;
        _http = http;
        _store = store;
        _drain = drain;
        _logger = logger;
    }

    public ProxySnapshot Current => _current;

    public bool IsInitialized => _watch is not null;

    /// <summary>The routes created through the admin API, with their versions.</summary>
    public IReadOnlyList<StoredRoute> ApiRoutes => _apiRoutes;

    /// <summary>The routes of the configuration file (read-only through the API).</summary>
    public IReadOnlyList<RouteConfig> FileRoutes => _file.Routes;

    /// <summary>Loads the file and the stored API routes before the server starts, so Kestrel binds their ports at
    /// once, and starts watching the file. Returns every error when the configuration is invalid.</summary>
    public async Task<IReadOnlyList<ConfigError>> InitializeAsync()
    {
        if (IsInitialized)
        {
            return [];
        }

        _fingerprint = Fingerprint(_configuration);
        var file = Read(_configuration, out var errors);
        if (file is null)
        {
            return errors;
        }

        var api = await _store.LoadAsync(CancellationToken.None).ConfigureAwait(false);
        var snapshot = _compiler.Compile(Combine(file, api), 1, out errors);
        if (snapshot is not null)
        {
            errors = [.. await _http.ValidateAsync(snapshot).ConfigureAwait(false), .. _bindings.CheckAdminClash(snapshot)];
        }

        if (snapshot is null || errors.Count > 0)
        {
            return errors;
        }

        _compiler.Applied(snapshot); // before the first datagram or connection: metrics registered, target names looked up
        var udpFailed = await _udp.ApplyAsync(snapshot).ConfigureAwait(false);
        if (udpFailed.Count > 0)
        {
            await _udp.ApplyAsync(ProxySnapshot.Empty).ConfigureAwait(false);
            return [.. udpFailed.Select(port => new ConfigError(null, "Ports", $"UDP port {port} could not be bound."))];
        }

        (_file, _apiRoutes, _current) = (file, api, snapshot);
        await _bindings.PublishAsync(snapshot, CancellationToken.None).ConfigureAwait(false);
        _http.Publish(snapshot);
        WatchCertificates(file);
        ReportUnreadableFiles();
        WatchConfiguration();
        return [];
    }

    /// <summary>Re-reads every configuration source and applies the result with freshly loaded certificates, whether or
    /// not anything changed: what SIGHUP does, as for nginx, where a file watch cannot see a change (a file bind-mounted
    /// into a container and replaced, a network file system) or a certificate was renewed outside the watched files.</summary>
    public async Task ReloadAsync(string cause)
    {
        // One at a time: two signals close together would each replace the file watch, leaving one never disposed.
        await _reloadGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_configuration is IConfigurationRoot root)
            {
                // Not through the change token: that reload would skip an unchanged Proxy section, and run twice with this one.
                _watch?.Dispose();
                try
                {
                    root.Reload();
                }
                catch (InvalidDataException)
                {
                    // A file that no longer parses, already reported (with its name) by the handler ReportUnreadableFiles
                    // installs: nothing is applied.
                    return;
                }
                catch (Exception ex)
                {
                    Log.ReloadFailed(_logger, ex); // the signal's task is not awaited: said here or nowhere
                    return;
                }
                finally
                {
                    WatchConfiguration();
                }
            }

            await ReloadFromConfigurationAsync(cause).ConfigureAwait(false);
        }
        finally
        {
            _reloadGate.Release();
        }
    }

    /// <summary>Fires once, the next time a new snapshot is swapped in.</summary>
    public IChangeToken GetChangeToken() => new CancellationChangeToken(_changed.Token);

    /// <summary>Changes the API routes: <paramref name="update"/> computes the new set from the current one under the
    /// lock (returning null to give up), then the whole configuration is validated, persisted, swapped in and its
    /// ports bound before this returns. Nothing is half applied.</summary>
    public async Task<ApplyResult> UpdateApiRoutesAsync(Func<IReadOnlyList<StoredRoute>, ApiRoutesUpdate?> update, CancellationToken cancellationToken)
    {
        await _applyLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return update(_apiRoutes) is { } change
                ? await ApplyLockedAsync(_file, change.Routes, change, cancellationToken).ConfigureAwait(false)
                : new ApplyResult(ApplyOutcome.Invalid, []);
        }
        finally
        {
            _applyLock.Release();
        }
    }

    /// <summary>Applies a new file configuration (null: the one in force, recompiled) with the current API routes.</summary>
    public async Task<ApplyResult> ApplyFileAsync(ProxyOptions? file, CancellationToken cancellationToken)
    {
        await _applyLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await ApplyLockedAsync(file ?? _file, _apiRoutes, null, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _applyLock.Release();
        }
    }

    public void Dispose()
    {
        _watch?.Dispose();
        _certificateWatch?.Dispose();
        _changed.Dispose();
        _applyLock.Dispose();
        _reloadGate.Dispose();
    }

    private async Task<ApplyResult> ApplyLockedAsync(ProxyOptions file, IReadOnlyList<StoredRoute> api, ApiRoutesUpdate? update, CancellationToken cancellationToken)
    {
        var next = _compiler.Compile(Combine(file, api), _current.Version + 1, out var errors);
        var keyErrors = new List<ConfigError>();
        var keys = _admin.CompileKeys(file.Admin, keyErrors);
        if (next is null || keys is null)
        {
            return ApplyResult.Invalid([.. errors, .. keyErrors]);
        }

        errors = await _http.ValidateAsync(next).ConfigureAwait(false);
        if (errors.Count > 0)
        {
            return ApplyResult.Invalid(errors);
        }

        errors = [.. _bindings.CheckAvailable(next), .. _udp.CheckAvailable(next)];
        if (errors.Count > 0)
        {
            return new ApplyResult(ApplyOutcome.PortUnavailable, errors);
        }

        if (update?.DryRun == true)
        {
            return new ApplyResult(ApplyOutcome.Validated, []);
        }

        if (update?.Persist is { } persist)
        {
            await persist(cancellationToken).ConfigureAwait(false);
        }

        var previous = _current;
        Swap(next);
        _http.Publish(next);
        var failed = await _bindings.PublishAsync(next, cancellationToken).ConfigureAwait(false);
        failed = [.. failed, .. await _udp.ApplyAsync(next).ConfigureAwait(false)];
        if (failed.Count == 0)
        {
            if (file != _file)
            {
                _admin.Use(keys);
                if (!_admin.ListensAsConfigured(file.Admin))
                {
                    Log.AdminUrlsNeedRestart(_logger, string.Join(", ", _admin.Urls));
                }
            }

            (_file, _apiRoutes) = (file, api);
            WatchCertificates(file);
            _drain.RoutesRemoved(previous, next, file.Admin?.DrainTimeout);
            if (!await _http.WaitAppliedAsync(next, cancellationToken).ConfigureAwait(false))
            {
                Log.HttpApplySlow(_logger, next.Version);
            }

            return ApplyResult.Applied;
        }

        Swap(previous);
        _http.Publish(previous);
        await _bindings.PublishAsync(previous, cancellationToken).ConfigureAwait(false);
        await _udp.ApplyAsync(previous).ConfigureAwait(false);
        if (update?.Compensate is { } compensate)
        {
            await compensate(cancellationToken).ConfigureAwait(false);
        }

        var bindErrors = new List<ConfigError>(failed.Count);
        foreach (var port in failed)
        {
            bindErrors.Add(new ConfigError(null, "Ports", $"Port {port} could not be bound."));
        }

        return new ApplyResult(ApplyOutcome.PortUnavailable, bindErrors);
    }

    /// <summary>A configuration file that no longer parses is skipped by its provider's own reload (which keeps its
    /// settings from being applied, but says nothing); this says it, naming the file.</summary>
    private void ReportUnreadableFiles()
    {
        if (_configuration is not IConfigurationRoot root)
        {
            return;
        }

        foreach (var provider in root.Providers.OfType<FileConfigurationProvider>())
        {
            provider.Source.OnLoadException ??= context
                => Log.FileUnreadable(_logger, context.Provider.Source.Path ?? "-", context.Exception.GetBaseException().Message, _current.Version);
        }
    }

    private void WatchConfiguration()
        => _watch = ChangeToken.OnChange(_configuration.GetReloadToken, () => _ = ReloadFromConfigurationAsync(cause: null));

    /// <summary>Applies the configuration as it now reads: on a change of the file (<paramref name="cause"/> null), only
    /// when the Proxy section changed; when asked (<see cref="ReloadAsync"/>), always.</summary>
    private async Task ReloadFromConfigurationAsync(string? cause)
    {
        var fingerprint = Fingerprint(_configuration);
        if (fingerprint == Interlocked.Exchange(ref _fingerprint, fingerprint) && cause is null)
        {
            return;
        }

        if (!_configuration.GetSection(ProxyOptions.SectionName).Exists())
        {
            // A file removed (or being replaced) reloads as empty: that would unbind every route of the file.
            Log.SectionMissing(_logger, _current.Version);
            return;
        }

        try
        {
            var file = Read(_configuration, out var errors);
            if (file is not null)
            {
                var result = await ApplyFileAsync(file, CancellationToken.None).ConfigureAwait(false);
                errors = result.Errors;
            }

            if (errors.Count == 0)
            {
                if (cause is null)
                {
                    Log.Reloaded(_logger, _current.Version, _current.Routes.Count, _current.Ports.Count);
                }
                else
                {
                    Log.ReloadedOnRequest(_logger, cause, _current.Version, _current.Routes.Count, _current.Ports.Count);
                }

                return;
            }

            LogRejected(errors);
        }
        catch (Exception ex)
        {
            Log.ReloadFailed(_logger, ex);
        }
    }

    /// <summary>Watches the certificate files of <paramref name="file"/>; called under the apply lock after each change.</summary>
    private void WatchCertificates(ProxyOptions file)
    {
        var files = _compiler.CertificateFiles(file);
        if (_certificateWatch is { } watching && watching.Files.Count == files.Count && watching.Files.All(files.Contains))
        {
            return;
        }

        _certificateWatch?.Dispose();
        _certificateWatch = files.Count == 0 ? null : new CertificateFileWatch(files, path => _ = CertificateChangedAsync(path));
    }

    /// <summary>Reloads the certificates by recompiling the configuration in force; a certificate that does not load is
    /// reported like a rejected reload and the last good one keeps being served.</summary>
    private async Task CertificateChangedAsync(string path)
    {
        try
        {
            var result = await ApplyFileAsync(null, CancellationToken.None).ConfigureAwait(false);
            if (result.Succeeded)
            {
                Log.CertificatesReloaded(_logger, path, _current.Version);
                return;
            }

            LogRejected(result.Errors);
        }
        catch (Exception ex)
        {
            Log.ReloadFailed(_logger, ex);
        }
    }

    private void LogRejected(IReadOnlyList<ConfigError> errors)
    {
        Log.ReloadRejected(_logger, errors.Count, _current.Version);
        foreach (var error in errors)
        {
            Log.ConfigError(_logger, error.RouteId ?? "-", error.Field, error.Message);
        }
    }

    private void Swap(ProxySnapshot next)
    {
        _current = next;
        _compiler.Applied(next);
        var changed = Interlocked.Exchange(ref _changed, new CancellationTokenSource());
        changed.Cancel();
        changed.Dispose();
    }

    private static ProxyOptions Combine(ProxyOptions file, IReadOnlyList<StoredRoute> api)
    {
        if (api.Count == 0)
        {
            return file;
        }

        var routes = new List<RouteConfig>(file.Routes.Count + api.Count);
        routes.AddRange(file.Routes);
        foreach (var stored in api)
        {
            routes.Add(stored.Route);
        }

        return file with { Routes = routes };
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

        [LoggerMessage(6, LogLevel.Information, "Certificate file {Path} changed: certificates reloaded, version {Version}")]
        public static partial void CertificatesReloaded(ILogger logger, string path, long version);

        [LoggerMessage(7, LogLevel.Information, "Configuration and certificates reloaded on {Cause}: version {Version}, {Routes} routes on {Ports} ports")]
        public static partial void ReloadedOnRequest(ILogger logger, string cause, long version, int routes, int ports);

        [LoggerMessage(8, LogLevel.Error, "Configuration file {Path} is unreadable ({Message}); version {Version} keeps running")]
        public static partial void FileUnreadable(ILogger logger, string path, string message, long version);

        [LoggerMessage(9, LogLevel.Error, "Configuration change rejected: the configuration has no Proxy section (its file missing or empty); version {Version} keeps running")]
        public static partial void SectionMissing(ILogger logger, long version);

        [LoggerMessage(10, LogLevel.Warning, "Admin.Urls changed: the admin API keeps listening on {Urls} until the proxy restarts")]
        public static partial void AdminUrlsNeedRestart(ILogger logger, string urls);
    }
}
