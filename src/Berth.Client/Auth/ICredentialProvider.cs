namespace Berth.Client.Auth;

/// <summary>Looks up the credentials for a registry host (<c>host[:port]</c>).</summary>
public interface ICredentialProvider
{
    ValueTask<RegistryCredentials?> GetAsync(string registry, CancellationToken cancellationToken);
}

/// <summary>A credential provider that can also remember and forget (login/logout).</summary>
public interface ICredentialStore : ICredentialProvider
{
    /// <summary>The file that <see cref="StoreAsync"/> writes to.</summary>
    string ConfigPath { get; }

    Task StoreAsync(string registry, RegistryCredentials credentials, CancellationToken cancellationToken);

    /// <summary>Forgets the registry everywhere it is remembered; returns the files it was removed from.</summary>
    Task<IReadOnlyList<string>> EraseAsync(string registry, CancellationToken cancellationToken);
}
