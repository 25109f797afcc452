using System.Globalization;

namespace Proxy.Benchmarks.Compare;

/// <summary>The two TLS backends of the SNI measure: one nginx (one worker, on the load core) with two <c>listen ... ssl</c>
/// servers, each with its own self-signed P-256 certificate made at run time with <c>openssl req -x509</c> (CN and
/// subjectAltName <see cref="HandshakeLoad.NameA"/> or <see cref="HandshakeLoad.NameB"/>). No session cache and no
/// tickets, so every handshake is a full one.</summary>
internal sealed class SniBackends : IAsyncDisposable
{
    private readonly RunningContender _server;

    private SniBackends(RunningContender server, int portA, int portB, string certificateA, string certificateB)
    {
        _server = server;
        PortA = portA;
        PortB = portB;
        CertificateA = certificateA;
        CertificateB = certificateB;
    }

    /// <summary>The backend whose certificate names <see cref="HandshakeLoad.NameA"/>.</summary>
    public int PortA { get; }

    public int PortB { get; }

    /// <summary>Its certificate (PEM file), which the load checks each handshake against.</summary>
    public string CertificateA { get; }

    public string CertificateB { get; }

    public static async Task<SniBackends> StartAsync(TimeSpan lifetime, CancellationToken cancellation)
    {
        var work = Directory.CreateTempSubdirectory("proxy-bench-tls-backends-");
        var (portA, portB) = (LoopbackPorts.Free(), LoopbackPorts.Free());
        var a = await CertificateAsync(work, "a", HandshakeLoad.NameA, cancellation).ConfigureAwait(false);
        var b = await CertificateAsync(work, "b", HandshakeLoad.NameB, cancellation).ConfigureAwait(false);
        var config = Path.Combine(work.FullName, "nginx.conf");
        var text = string.Create(CultureInfo.InvariantCulture, $$"""
            {{NginxConfig.MainContext(work, 20000)}}

            http {
                access_log off;
                ssl_session_cache off;
                ssl_session_tickets off;
                {{NginxConfig.TempPaths(work)}}
                server {
                    listen 127.0.0.1:{{portA}} ssl backlog=4096;
                    ssl_certificate {{a}}.crt;
                    ssl_certificate_key {{a}}.key;
                    return 200 "a\n";
                }
                server {
                    listen 127.0.0.1:{{portB}} ssl backlog=4096;
                    ssl_certificate {{b}}.crt;
                    ssl_certificate_key {{b}}.key;
                    return 200 "b\n";
                }
            }

            """);
        await File.WriteAllTextAsync(config, text, cancellation).ConfigureAwait(false);
        var process = Pinned.Start(
            Pinned.LoadCore, "nginx", ["-p", work.FullName, "-e", Path.Combine(work.FullName, "error.log"), "-c", config], lifetime, work.FullName);
        var server = new RunningContender(portA, process, work);
        foreach (var port in (int[])[portA, portB])
        {
            if (!await LoopbackPorts.WaitListeningAsync(port, process, TimeSpan.FromSeconds(30), cancellation).ConfigureAwait(false))
            {
                var why = $"the nginx TLS backends did not listen on 127.0.0.1:{port} (exited: {process.HasExited}).\n{process.Output}{process.Error}";
                await server.DisposeAsync().ConfigureAwait(false);
                throw new InvalidOperationException(why);
            }
        }

        return new SniBackends(server, portA, portB, a + ".crt", b + ".crt");
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    /// <summary>Makes NAME.crt and NAME.key in the folder; returns their path without the extension.</summary>
    private static async Task<string> CertificateAsync(DirectoryInfo work, string file, string serverName, CancellationToken cancellation)
    {
        var path = Path.Combine(work.FullName, file);
        var (exitCode, _, error) = await ExternalProcess.RunAsync(
            "openssl",
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                "-subj", "/CN=" + serverName, "-addext", "subjectAltName=DNS:" + serverName, "-keyout", path + ".key", "-out", path + ".crt",
            ],
            TimeSpan.FromSeconds(30),
            cancellation).ConfigureAwait(false);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"openssl req -x509 for {serverName} exited {exitCode}: {error}");
        }

        return path;
    }
}
