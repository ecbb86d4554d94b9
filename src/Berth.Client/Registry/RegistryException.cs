using System.Net;

namespace Berth.Client.Registry;

/// <summary>What kind of failure, so the CLI can pick an exit code and a hint.</summary>
public enum RegistryErrorKind
{
    Unknown,
    Unauthorized,
    Denied,
    NotFound,
    DigestMismatch,
    Invalid,
    Unsupported,
    Unavailable,
    Network,
    Tls,
}

/// <summary>A registry refused or failed a request; <see cref="Code"/> is the OCI error code when the registry sent one.</summary>
public sealed class RegistryException(RegistryErrorKind kind, string message, HttpStatusCode? status = null, string? code = null, Exception? inner = null)
    : Exception(message, inner)
{
    public RegistryErrorKind Kind { get; } = kind;

    public HttpStatusCode? Status { get; } = status;

    public string? Code { get; } = code;

    /// <summary>Worth another try: the registry was busy or the network dropped.</summary>
    public bool IsTransient => Kind is RegistryErrorKind.Unavailable or RegistryErrorKind.Network;
}
