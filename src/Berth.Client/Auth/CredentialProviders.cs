namespace Berth.Client.Auth;

/// <summary>Credentials given on the command line win over the stored ones, for one registry.</summary>
public sealed class StaticCredentialProvider(string registry, RegistryCredentials credentials, ICredentialProvider? fallback = null) : ICredentialProvider
{
    public ValueTask<RegistryCredentials?> GetAsync(string registry1, CancellationToken cancellationToken) =>
        string.Equals(registry1, registry, StringComparison.OrdinalIgnoreCase)
            ? ValueTask.FromResult<RegistryCredentials?>(credentials)
            : fallback?.GetAsync(registry1, cancellationToken) ?? ValueTask.FromResult<RegistryCredentials?>(null);
}

/// <summary>No credentials anywhere: anonymous access only.</summary>
public sealed class AnonymousCredentialProvider : ICredentialProvider
{
    public static readonly AnonymousCredentialProvider Instance = new();

    public ValueTask<RegistryCredentials?> GetAsync(string registry, CancellationToken cancellationToken) => ValueTask.FromResult<RegistryCredentials?>(null);
}
