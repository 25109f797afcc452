using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Proxy.Tests.Infrastructure;

/// <summary>A real ASP.NET Core server on 127.0.0.1:0 (plain HTTP, or HTTPS with its own certificate) for HTTP route
/// tests: every request gets a JSON <see cref="BackendEcho"/> naming the backend, <c>/ws</c> is a WebSocket echo and
/// <c>/healthz</c> answers 200 or 503 as <see cref="Healthy"/> says; <c>?delay=ms</c> makes any other request slow.</summary>
public sealed class HttpBackend : IAsyncDisposable
{
    public const string HealthPath = "/healthz";

    private readonly WebApplication _app;
    private TaskCompletionSource _nextProbe = NewSignal();
    private volatile bool _healthy = true;
    private int _requests;
    private int _probes;

    private HttpBackend(string name, WebApplication app)
    {
        Name = name;
        _app = app;
    }

    public string Name { get; }

    /// <summary>The backend's base address, e.g. <c>http://127.0.0.1:40123</c>, to use as an HTTP route target.</summary>
    public string Url { get; private set; } = string.Empty;

    /// <summary>Requests served other than health probes and WebSockets.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Health probes answered so far.</summary>
    public int Probes => Volatile.Read(ref _probes);

    /// <summary>Whether <c>/healthz</c> answers 200 (true, the default) or 503.</summary>
    public bool Healthy
    {
        get => _healthy;
        set => _healthy = value;
    }

    /// <summary>Starts a backend named <paramref name="name"/>; with a certificate it serves HTTPS (HTTP/1.1 and HTTP/2).</summary>
    public static async Task<HttpBackend> StartAsync(string name, X509Certificate2? certificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = "Test",
        });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (certificate is not null)
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(certificate);
            }
        }));

        var app = builder.Build();
        var backend = new HttpBackend(name, app);
        app.UseWebSockets();
        app.Run(backend.ServeAsync);
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
        backend.Url = addresses.Single().TrimEnd('/');
        return backend;
    }

    /// <summary>Completes when the next health probe has been answered (whatever its status).</summary>
    public Task NextProbeAsync() => Volatile.Read(ref _nextProbe).Task;

    private async Task ServeAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.Path == HealthPath)
        {
            context.Response.StatusCode = Healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
            await context.Response.WriteAsync(Healthy ? "ok" : "unhealthy");
            await context.Response.CompleteAsync();
            Interlocked.Increment(ref _probes);
            Interlocked.Exchange(ref _nextProbe, NewSignal()).TrySetResult();
            return;
        }

        if (context.WebSockets.IsWebSocketRequest)
        {
            await EchoWebSocketAsync(context);
            return;
        }

        Interlocked.Increment(ref _requests);
        if (int.TryParse(request.Query["delay"], CultureInfo.InvariantCulture, out var delay))
        {
            // A slow target: answers after this many milliseconds, or never if the proxy gives up first.
            try
            {
                await Task.Delay(delay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in request.Headers)
        {
            headers[key] = value.ToString();
        }

        await context.Response.WriteAsJsonAsync(new BackendEcho(
            Name, request.Method, request.Path.Value ?? "/", request.QueryString.Value ?? string.Empty, request.Protocol, request.Host.Value ?? string.Empty, headers));
    }

    private static async Task EchoWebSocketAsync(HttpContext context)
    {
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var buffer = new byte[16 * 1024];
        var aborted = context.RequestAborted;
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer.AsMemory(), aborted);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, socket.CloseStatusDescription, aborted);
                    return;
                }

                await socket.SendAsync(buffer.AsMemory(0, result.Count), result.MessageType, result.EndOfMessage, aborted);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            // The client (or the proxy) went away mid-conversation: nothing left to echo.
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
    }
}
