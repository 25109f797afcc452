using System.Net;
using System.Net.Sockets;

namespace Proxy.Benchmarks.Micro;

/// <summary>Two connected TCP sockets on 127.0.0.1: <see cref="Near"/> is handed to the code under test, the
/// benchmark drives <see cref="Far"/>.</summary>
internal sealed class LoopbackPair : IDisposable
{
    private LoopbackPair(Socket near, Socket far)
    {
        Near = near;
        Far = far;
    }

    public Socket Near { get; }

    public Socket Far { get; }

    public static LoopbackPair Create()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var near = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        near.Connect(listener.LocalEndPoint!);
        var far = listener.Accept();
        far.NoDelay = true;
        return new LoopbackPair(near, far);
    }

    public void Dispose()
    {
        Near.Dispose();
        Far.Dispose();
    }
}
