using System.Net;
using System.Net.Http;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Proxy.Hosting;
using Yarp.ReverseProxy.Forwarder;

namespace Proxy.Benchmarks.Compare;

/// <summary><c>http-no-upstream</c>: this proxy's own host, built from the appsettings.json in the working directory as
/// the program builds it (the same middleware, YARP route, Kestrel and socket settings), with the upstream leg taken out:
/// YARP's client answers every request from memory with what the nginx backend answers (200, the same 13 bytes and
/// headers), so no upstream socket is written or read. The HTTP measure runs it as a ceiling: whatever is done to the
/// upstream side of a YARP route (a leaner client below YARP, other pool settings), the route cannot serve more requests
/// per core than this.</summary>
internal static class NoUpstreamHost
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        RuntimeTuning.ApplyToProcess();
        var builder = ProxyHost.CreateBuilder(new WebApplicationOptions { Args = [.. args] });
        builder.Services.AddSingleton<IForwarderHttpClientFactory, InMemoryClientFactory>();
        var app = await ProxyHost.BuildAsync(builder).ConfigureAwait(false);
        await app.RunAsync().ConfigureAwait(false);
        return 0;
    }

    private sealed class InMemoryClientFactory : IForwarderHttpClientFactory
    {
        public HttpMessageInvoker CreateClient(ForwarderHttpClientContext context) =>
            context.OldClient ?? new HttpMessageInvoker(new InMemoryHandler(), disposeHandler: true);
    }

    /// <summary>The nginx backend's answer (<see cref="NginxHttpBackend"/>), built per request as the socket handler
    /// builds one from the bytes it reads.</summary>
    private sealed class InMemoryHandler : HttpMessageHandler
    {
        private static readonly byte[] Body = Encoding.ASCII.GetBytes(NginxHttpBackend.Body);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = new HttpResponseMessage(HttpStatusCode.OK)
            {
                Version = HttpVersion.Version11,
                RequestMessage = request,
                Content = new ByteArrayContent(Body),
            };
            response.Headers.TryAddWithoutValidation("Server", "nginx/1.22.1");
            response.Headers.TryAddWithoutValidation("Date", DateTime.UtcNow.ToString("r", System.Globalization.CultureInfo.InvariantCulture));
            response.Content.Headers.TryAddWithoutValidation("Content-Type", "text/plain");
            return Task.FromResult(response);
        }
    }
}
