using System.Globalization;

namespace Proxy.Benchmarks.Compare;

/// <summary>The parts every nginx of the harness shares (contenders and backends alike): one worker, the open-file limit
/// as high as the hard limit allows, and every file it writes (pid, error log, temp folders) in its own work folder.</summary>
internal static class NginxConfig
{
    public const string StreamModule = "/usr/lib/nginx/modules/ngx_stream_module.so";

    /// <summary>The main context: foreground, one worker, pid and error log in <paramref name="work"/>, and the events
    /// block with <paramref name="workerConnections"/>.</summary>
    public static string MainContext(DirectoryInfo work, int workerConnections) => string.Create(CultureInfo.InvariantCulture, $"""
        daemon off;
        worker_processes 1;
        worker_rlimit_nofile {Math.Min(FileLimits.Hard, 1_000_000)};
        pid {work.FullName}/nginx.pid;
        error_log {work.FullName}/error.log warn;
        events {"{"} worker_connections {workerConnections}; {"}"}
        """);

    /// <summary>For the http context: the temp folders in <paramref name="work"/> (not /var/lib/nginx).</summary>
    public static string TempPaths(DirectoryInfo work) => string.Create(CultureInfo.InvariantCulture, $"""
        client_body_temp_path {work.FullName}/body;
        proxy_temp_path {work.FullName}/proxy;
        fastcgi_temp_path {work.FullName}/fastcgi;
        uwsgi_temp_path {work.FullName}/uwsgi;
        scgi_temp_path {work.FullName}/scgi;
        """);
}
