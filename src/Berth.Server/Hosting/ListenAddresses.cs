using System.Net;
using System.Net.Sockets;

namespace Berth.Server.Hosting;

/// <summary>
/// Checks --urls before anything is created: Kestrel would find a taken port only after the data directory, the
/// migrations and the admin account, and the host then logs the failure with stack traces from every service it stops.
/// </summary>
internal static class ListenAddresses
{
    /// <summary>The first URL of <paramref name="urls"/> (';'-separated) that another process listens on, or null.</summary>
    public static string? FirstInUse(string urls)
    {
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            BindingAddress address;
            try
            {
                address = BindingAddress.Parse(url);
            }
            catch (FormatException)
            {
                continue; // Kestrel reports a malformed URL itself.
            }

            if (address.IsUnixPipe || address.Port == 0 || ToAddress(address.Host) is not { } ip)
            {
                continue;
            }

            using var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);

            // As Kestrel binds: a port left in TIME_WAIT is free, one with a listener is not.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            try
            {
                socket.Bind(new IPEndPoint(ip, address.Port));
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                return url;
            }
            catch (SocketException)
            {
                // Not this check's to judge (an address this machine lacks, a privileged port): Kestrel says why.
            }
        }

        return null;
    }

    private static IPAddress? ToAddress(string host) => host switch
    {
        "localhost" => IPAddress.Loopback,
        "*" or "+" => IPAddress.Any,
        _ => IPAddress.TryParse(host.Trim('[', ']'), out var parsed) ? parsed : null,
    };
}
