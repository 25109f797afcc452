using System.Net;
using Proxy.Configuration;

namespace Proxy.Admin;

/// <summary>The admin listener's URLs (bound at startup) and its keys (replaced by each configuration change, so a key
/// is rotated or revoked with a reload): an admin API reachable from the network without a key is refused.</summary>
internal sealed class AdminSettings
{
    public const string DefaultUrl = "http://127.0.0.1:9900";

    private volatile AdminKeys _keys;

    private AdminSettings(IReadOnlyList<Uri> urls, AdminKeys keys)
    {
        Urls = urls;
        _keys = keys;
    }

    public IReadOnlyList<Uri> Urls { get; }

    /// <summary>The keys in force, read per request.</summary>
    public AdminKeys Keys => _keys;

    public static AdminSettings? Create(AdminOptions? options, ICollection<ConfigError> errors)
    {
        options ??= new AdminOptions();
        var before = errors.Count;
        var urls = ParseUrls(options, errors);
        CheckKeys(options.ApiKeys, errors);
        return errors.Count > before ? null : new AdminSettings(urls, new AdminKeys(options.ApiKeys));
    }

    /// <summary>The keys of a changed configuration; null with errors when they would not do. They are checked against
    /// the URLs the API listens on (which only a restart changes) and against the URLs the change names, which the next
    /// start binds: a change the proxy could not start with is refused now, not at the next restart.</summary>
    public AdminKeys? CompileKeys(AdminOptions? options, ICollection<ConfigError> errors)
    {
        options ??= new AdminOptions();
        var before = errors.Count;
        var named = ParseUrls(options, errors);
        if (options.ApiKeys.Count == 0 && Urls.Except(named).FirstOrDefault(url => !IsLoopback(url)) is { } open)
        {
            errors.Add(new ConfigError(null, "Admin.ApiKeys", $"The admin API listens on '{open}' until a restart: it cannot be left without an API key."));
        }

        CheckKeys(options.ApiKeys, errors);
        return errors.Count > before ? null : new AdminKeys(options.ApiKeys);
    }

    /// <summary>Puts keys from <see cref="CompileKeys"/> in force.</summary>
    public void Use(AdminKeys keys) => _keys = keys;

    /// <summary>Whether <paramref name="options"/> (already compiled) names the URLs the API listens on (a change needs a restart).</summary>
    public bool ListensAsConfigured(AdminOptions? options) => ParseUrls(options ?? new AdminOptions(), []).SequenceEqual(Urls);

    /// <summary>The URLs <paramref name="options"/> names (the default when none), each an http://address:port URL and
    /// not reachable from the network without a key.</summary>
    private static List<Uri> ParseUrls(AdminOptions options, ICollection<ConfigError> errors)
    {
        var texts = options.Urls.Count == 0 ? [DefaultUrl] : options.Urls;
        var urls = new List<Uri>();
        for (var i = 0; i < texts.Count; i++)
        {
            if (!Uri.TryCreate(texts[i], UriKind.Absolute, out var url) || url.Scheme != Uri.UriSchemeHttp || url.AbsolutePath != "/")
            {
                errors.Add(new ConfigError(null, $"Admin.Urls[{i}]", $"'{texts[i]}' is not an http://address:port URL."));
                continue;
            }

            if (options.ApiKeys.Count == 0 && !IsLoopback(url))
            {
                errors.Add(new ConfigError(null, $"Admin.Urls[{i}]",
                    $"The admin API would listen on '{texts[i]}' without an API key: configure Proxy:Admin:ApiKeys or listen on loopback."));
            }

            urls.Add(url);
        }

        return urls;
    }

    private static void CheckKeys(IReadOnlyList<ApiKeyConfig> keys, ICollection<ConfigError> errors)
    {
        for (var i = 0; i < keys.Count; i++)
        {
            if (string.IsNullOrEmpty(keys[i].Key) || keys[i].Key!.Length < 16)
            {
                errors.Add(new ConfigError(null, $"Admin.ApiKeys[{i}].Key", "An API key must be at least 16 characters."));
            }
        }
    }

    private static bool IsLoopback(Uri url)
        => url.IsLoopback || (IPAddress.TryParse(url.IdnHost, out var address) && IPAddress.IsLoopback(address));
}
