using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;

namespace Proxy.Hosting;

/// <summary>SIGHUP reloads the configuration and the certificates, as it does for nginx (<c>systemctl reload</c>,
/// <c>kill -HUP</c>), instead of ending the process: .NET's default for it is to terminate at once, without draining.
/// The program registers it; in-process hosts (the tests') do not take over their process's signals.</summary>
public static class ReloadSignal
{
    public static IDisposable Register(IServiceProvider services)
    {
        var live = services.GetRequiredService<LiveConfiguration>();
        return PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            _ = live.ReloadAsync("SIGHUP");
        });
    }
}
