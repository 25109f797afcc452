using System.Net;
using Proxy.Configuration;

namespace Proxy.Admin;

/// <summary>The admin listener's URLs and keys, validated at startup: an admin API reachable from the network
/// without a key is refused.</summary>
internal sealed class AdminSettings
{
    public const string DefaultUrl = "http://127.0.0.1:9900";

    private AdminSettings(IReadOnlyList<Uri> urls, AdminKeys keys)
    {
        Urls = urls;
        Keys = keys;
    }

    public IReadOnlyList<Uri> Urls { get; }

    public AdminKeys Keys { get; }

    public static AdminSettings? Create(AdminOptions? options, ICollection<ConfigError> errors)
    {
        options ??= new AdminOptions();
        var texts = options.Urls.Count == 0 ? [DefaultUrl] : options.Urls;
        var urls = new List<Uri>();
        var before = errors.Count;
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

        for (var i = 0; i < options.ApiKeys.Count; i++)
        {
            if (string.IsNullOrEmpty(options.ApiKeys[i].Key) || options.ApiKeys[i].Key!.Length < 16)
            {
                errors.Add(new ConfigError(null, $"Admin.ApiKeys[{i}].Key", "An API key must be at least 16 characters."));
            }
        }

        return errors.Count > before ? null : new AdminSettings(urls, new AdminKeys(options.ApiKeys));
    }

    private static bool IsLoopback(Uri url)
        => url.IsLoopback || (IPAddress.TryParse(url.IdnHost, out var address) && IPAddress.IsLoopback(address));
}
