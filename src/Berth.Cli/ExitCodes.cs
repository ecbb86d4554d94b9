using Berth.Client.Auth;
using Berth.Client.Registry;

namespace Berth.Cli;

/// <summary>The documented exit codes (README.md beside this file): scripts branch on them.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int Usage = 2;
    public const int Auth = 3;
    public const int NotFound = 4;
    public const int Integrity = 5;
    public const int Network = 6;
    public const int Interrupted = 130;

    public static int For(Exception e) => e switch
    {
        RegistryAuthException => Auth,
        RegistryException r => r.Kind switch
        {
            RegistryErrorKind.Unauthorized or RegistryErrorKind.Denied => Auth,
            RegistryErrorKind.NotFound => NotFound,
            RegistryErrorKind.DigestMismatch => Integrity,
            RegistryErrorKind.Network or RegistryErrorKind.Tls or RegistryErrorKind.Unavailable => Network,
            _ => Failure,
        },
        FileNotFoundException or DirectoryNotFoundException => NotFound,
        InvalidDataException => Integrity,
        FormatException or UsageException => Usage,
        OperationCanceledException => Interrupted,
        HttpRequestException or IOException => Network,
        _ => Failure,
    };
}
