using Berth.Data.Entities;

namespace Berth.Index.Accounts;

/// <summary>Accounts, their passwords and personal access tokens.</summary>
public interface IAccountService
{
    Task<Outcome<Account>> CreateAsync(string name, string password, string? email, bool isAdmin, CancellationToken cancellationToken);

    /// <summary>
    /// Checks a password or a personal access token for <paramref name="user"/>. Failures are throttled per source
    /// address (<see cref="Audit.AuditContext.Address"/>) and per source address + account; a valid personal access
    /// token is accepted whatever the throttle says.
    /// </summary>
    Task<AuthenticationResult> AuthenticateAsync(string user, string secret, CancellationToken cancellationToken);

    /// <summary>The principal for an account id (refresh tokens), or null when the account is gone or disabled.</summary>
    Task<Principal?> FindPrincipalAsync(long accountId, long? personalAccessTokenId, CancellationToken cancellationToken);

    /// <summary>Creates <c>admin</c> at first start. Returns the generated password when none was configured, else null.</summary>
    Task<string?> EnsureAdminAsync(string? configuredPassword, CancellationToken cancellationToken);

    /// <summary>A new token; the plain secret is in the result and nowhere else, ever.</summary>
    Task<Outcome<(PersonalAccessToken Token, string Secret)>> CreateTokenAsync(Principal owner, string name, TokenScopes scopes, DateTime? expiresAt, CancellationToken cancellationToken);

    /// <summary>Personal access tokens (all of them) and refresh tokens (those still usable), in one id space.</summary>
    Task<IReadOnlyList<AccessTokenInfo>> ListTokensAsync(Principal owner, CancellationToken cancellationToken);

    /// <summary>Revokes a personal access token (positive id) or a refresh token (negative id) of <paramref name="owner"/>.</summary>
    Task<bool> RevokeTokenAsync(Principal owner, long tokenId, CancellationToken cancellationToken);

    /// <summary>Changes the password and revokes every refresh token of the account.</summary>
    Task<Outcome<bool>> ChangePasswordAsync(Principal owner, string currentPassword, string newPassword, CancellationToken cancellationToken);

    /// <summary>
    /// Sets a password without the current one (the server console's <c>berth-server admin reset-password</c>) and,
    /// as a change does, revokes every refresh token and web session of the account. Not found when no such account.
    /// </summary>
    Task<Outcome<bool>> ResetPasswordAsync(string name, string newPassword, CancellationToken cancellationToken);
}
