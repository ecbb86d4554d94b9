using Berth.Data.Entities;

namespace Berth.Index.Accounts;

/// <summary>An account as its owner (or an admin) sees it.</summary>
public sealed record AccountInfo(string Name, string? Email, bool IsAdmin, DateTime CreatedAt);

/// <summary>What anyone may know about an account.</summary>
public sealed record PublicAccountInfo(string Name, DateTime CreatedAt);

/// <summary>
/// Accounts as the REST API offers them: who may sign up, the caller's own account, its password and personal
/// access tokens, and authentication of API requests — each with its audit trail. The mechanics (hashing,
/// token secrets, the login throttle) are <see cref="IAccountService"/>'s.
/// </summary>
public interface IUserService
{
    /// <summary>Sign-up when it is enabled, else account creation by an admin; only admins may create admins.</summary>
    Task<Outcome<AccountInfo>> CreateAsync(Principal? caller, string name, string password, string? email, bool isAdmin, CancellationToken cancellationToken);

    Task<Outcome<AccountInfo>> GetOwnAsync(Principal caller, CancellationToken cancellationToken);

    Task<Outcome<PublicAccountInfo>> GetPublicAsync(string name, CancellationToken cancellationToken);

    Task<Outcome<bool>> ChangePasswordAsync(Principal caller, string currentPassword, string newPassword, CancellationToken cancellationToken);

    Task<Outcome<(PersonalAccessToken Token, string Secret)>> CreateTokenAsync(Principal caller, string name, TokenScopes scopes, DateTime? expiresAt, CancellationToken cancellationToken);

    Task<IReadOnlyList<AccessTokenInfo>> ListTokensAsync(Principal caller, PageRequest page, CancellationToken cancellationToken);

    /// <summary>Revokes one of the caller's tokens; another account's token is as absent as an unknown id.</summary>
    Task<Outcome<bool>> RevokeTokenAsync(Principal caller, long tokenId, CancellationToken cancellationToken);

    /// <summary>HTTP Basic: a user name with a password or a personal access token. Failures are throttled per source (and audited, boundedly).</summary>
    Task<AuthenticationResult> AuthenticateAsync(string user, string secret, CancellationToken cancellationToken);

    /// <summary><c>Authorization: Bearer</c> with a personal access token alone (its account is looked up). Failures count against the source address.</summary>
    Task<AuthenticationResult> AuthenticateTokenAsync(string token, CancellationToken cancellationToken);

    /// <summary>
    /// <c>Authorization: Bearer</c> with a registry token this index signed (Docker sends one to <c>/v1/search</c>):
    /// its subject, with the <c>read</c> scope only. Anonymous and invalid tokens are bad credentials.
    /// </summary>
    Task<AuthenticationResult> AuthenticateRegistryTokenAsync(string token, CancellationToken cancellationToken);
}
