using System.Data.Common;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace Berth.Server.Hosting;

/// <summary>Start-up failures an operator causes and can fix, told apart from bugs (which keep their stack trace).</summary>
internal static class StartupFaults
{
    /// <summary>Kestrel's bind failure: "Failed to bind to address …: address already in use."</summary>
    public static bool IsAddressInUse(IOException e) =>
        e.InnerException is AddressInUseException || e.InnerException is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse };

    /// <summary>
    /// The reason the database could not be opened, or null when <paramref name="e"/> is not about that: a server that
    /// refuses, is absent or rejects the login, or a file that cannot be opened (DbException, possibly wrapped).
    /// </summary>
    public static string? DatabaseFault(Exception e)
    {
        for (Exception? current = e; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case DbException db:
                    return db.InnerException is SocketException socket ? $"{db.Message} ({socket.Message})" : db.Message;
                case TimeoutException timeout:
                    return timeout.Message;
            }
        }

        return null;
    }
}
