namespace Berth.Server.Hosting;

/// <summary>berth-server's exit codes (README): a service manager or a script can tell the failures apart.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>Unknown option, stray argument, or an option's value that makes no sense.</summary>
    public const int Usage = 2;

    /// <summary>An address in --urls is taken by another process.</summary>
    public const int AddressInUse = 3;

    /// <summary>The data directory cannot be created or written.</summary>
    public const int DataDirectory = 4;

    /// <summary>The database cannot be opened: a malformed connection string, or the server refuses or is not there.</summary>
    public const int Database = 5;

    /// <summary><c>berth-server admin</c>: the named account does not exist.</summary>
    public const int UnknownAccount = 6;

    /// <summary>The --tls-cert / --tls-key pair cannot be read, is not PEM, or the key does not belong to the certificate.</summary>
    public const int Certificate = 7;

    /// <summary><c>berth-server gc</c>: another garbage-collection pass held the cluster's lease for the whole wait.</summary>
    public const int Busy = 8;
}
