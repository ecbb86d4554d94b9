using System.Net;
using System.Net.Sockets;

namespace Berth.Security.Tests.Support;

/// <summary>
/// Clients that connect from another loopback address (Linux routes all of 127/8 to lo and lets a socket bind to
/// any of it), so a test can be two sources: an attacker on 127.0.0.x and its victim on 127.0.0.1.
/// </summary>
public static class SourceAddress
{
    /// <summary>A plain client for <paramref name="site"/> whose connections come from <paramref name="address"/>.</summary>
    public static HttpClient ClientFrom(this Site site, string address) => site.NewClient(HandlerFrom(address));

    /// <summary>A handler whose connections come from <paramref name="address"/> (no redirects, no proxy).</summary>
    public static SocketsHttpHandler HandlerFrom(string address)
    {
        var local = IPAddress.Parse(address);
        return new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(local, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
    }
}
