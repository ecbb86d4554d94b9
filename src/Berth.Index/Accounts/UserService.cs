using Berth.Data;
using Berth.Data.Entities;
using Berth.Index.Audit;
using Berth.Index.Tokens;
using Microsoft.EntityFrameworkCore;

namespace Berth.Index.Accounts;

internal sealed class UserService(
    BerthDbContext db,
    IAccountService accounts,
    IAuditLog audit,
    LoginThrottle throttle,
    AuditContext request,
    TokenValidator registryTokens,
    IndexOptions options) : IUserService
{
    public async Task<Outcome<AccountInfo>> CreateAsync(Principal? caller, string name, string password, string? email, bool isAdmin, CancellationToken cancellationToken)
    {
        var callerIsAdmin = caller?.ActsAsAdmin == true;
        if (!options.SignupEnabled && !callerIsAdmin)
        {
            return IndexError.Forbidden("sign-up is disabled; ask an administrator for an account");
        }

        if (isAdmin && !callerIsAdmin)
        {
            return IndexError.Forbidden("only administrators may create administrators");
        }

        if (email is { Length: > 255 } || (email is not null && !email.Contains('@', StringComparison.Ordinal)))
        {
            return IndexError.Invalid("email must be an address of at most 255 characters");
        }

        var created = await accounts.CreateAsync(name, password, email, isAdmin, cancellationToken);
        if (!created.IsSuccess)
        {
            return created.Error;
        }

        var account = created.Value;
        await audit.RecordAsync(caller?.Name ?? account.Name, AuditActions.AccountCreated, account.Name, isAdmin ? "admin" : null, cancellationToken);
        return ToInfo(account);
    }

    public async Task<Outcome<AccountInfo>> GetOwnAsync(Principal caller, CancellationToken cancellationToken)
    {
        var account = await db.Accounts.AsNoTracking().FirstOrDefaultAsync(a => a.Id == caller.AccountId, cancellationToken);
        return account is null ? IndexError.NotFound("the account") : ToInfo(account);
    }

    public async Task<Outcome<PublicAccountInfo>> GetPublicAsync(string name, CancellationToken cancellationToken)
    {
        var account = await db.Accounts.AsNoTracking()
            .Where(a => a.Name == name && !a.IsDisabled)
            .Select(a => new { a.Name, a.CreatedAt })
            .FirstOrDefaultAsync(cancellationToken);
        return account is null ? IndexError.NotFound($"user '{name}'") : new PublicAccountInfo(account.Name, Times.Utc(account.CreatedAt));
    }

    public async Task<Outcome<bool>> ChangePasswordAsync(Principal caller, string currentPassword, string newPassword, CancellationToken cancellationToken)
    {
        var changed = await accounts.ChangePasswordAsync(caller, currentPassword, newPassword, cancellationToken);
        if (changed.IsSuccess)
        {
            await audit.RecordAsync(caller.Name, AuditActions.PasswordChanged, caller.Name, null, cancellationToken);
        }

        return changed;
    }

    public async Task<Outcome<(PersonalAccessToken Token, string Secret)>> CreateTokenAsync(Principal caller, string name, TokenScopes scopes, DateTime? expiresAt, CancellationToken cancellationToken)
    {
        var created = await accounts.CreateTokenAsync(caller, name, scopes, expiresAt, cancellationToken);
        if (created.IsSuccess)
        {
            var token = created.Value.Token;
            await audit.RecordAsync(caller.Name, AuditActions.TokenCreated, caller.Name, $"token {token.Id} '{token.Name}' ({token.Scopes})", cancellationToken);
        }

        return created;
    }

    public async Task<IReadOnlyList<AccessTokenInfo>> ListTokensAsync(Principal caller, PageRequest page, CancellationToken cancellationToken)
    {
        var tokens = await accounts.ListTokensAsync(caller, cancellationToken);
        return tokens.Skip(page.Skip).Take(page.Size).ToList();
    }

    public async Task<Outcome<bool>> RevokeTokenAsync(Principal caller, long tokenId, CancellationToken cancellationToken)
    {
        // Revoking needs the admin scope: a leaked read-only token must not be able to cut off its owner's other tokens.
        if (Credentials.Require(caller, TokenScopes.Admin) is { } denied)
        {
            return denied;
        }

        if (!await accounts.RevokeTokenAsync(caller, tokenId, cancellationToken))
        {
            return IndexError.NotFound($"token {tokenId}");
        }

        var what = AccessTokenInfo.IsRefreshTokenId(tokenId) ? "refresh token" : "token";
        await audit.RecordAsync(caller.Name, AuditActions.TokenRevoked, caller.Name, $"{what} {tokenId}", cancellationToken);
        return true;
    }

    // The audit of failures is the throttle's: it writes a bounded number of rows per source, whatever the flood.
    public Task<AuthenticationResult> AuthenticateAsync(string user, string secret, CancellationToken cancellationToken) =>
        accounts.AuthenticateAsync(user, secret, cancellationToken);

    public async Task<AuthenticationResult> AuthenticateTokenAsync(string token, CancellationToken cancellationToken)
    {
        string? owner = null;
        if (token.StartsWith(Secrets.PersonalAccessTokenPrefix, StringComparison.Ordinal))
        {
            var hash = Secrets.Hash(token);
            owner = await (from t in db.PersonalAccessTokens
                           join a in db.Accounts on t.AccountId equals a.Id
                           where t.SecretHash == hash
                           select a.Name).FirstOrDefaultAsync(cancellationToken);
        }

        if (owner is not null)
        {
            return await AuthenticateAsync(owner, token, cancellationToken);
        }

        // Unknown tokens cost no bcrypt, but are slowed per address like any other failure.
        var check = await throttle.CheckAsync(request.Address, null, cancellationToken);
        if (check.RetryAfter is { } wait)
        {
            return AuthenticationResult.Throttled(wait);
        }

        await throttle.RecordTokenFailureAsync(request.Address, cancellationToken);
        return AuthenticationResult.Fail(AuthenticationFailure.BadCredentials);
    }

    public async Task<AuthenticationResult> AuthenticateRegistryTokenAsync(string token, CancellationToken cancellationToken)
    {
        var claims = await registryTokens.ValidateAsync(token, cancellationToken);
        if (claims is null || claims.Subject.Length == 0)
        {
            return AuthenticationResult.Fail(AuthenticationFailure.BadCredentials);
        }

        var account = await db.Accounts.AsNoTracking().FirstOrDefaultAsync(a => a.Name == claims.Subject && !a.IsDisabled, cancellationToken);
        return account is null
            ? AuthenticationResult.Fail(AuthenticationFailure.BadCredentials)
            : AuthenticationResult.Success(new Principal(account.Id, account.Name, account.IsAdmin, TokenScopes.Read));
    }

    private static AccountInfo ToInfo(Account account) => new(account.Name, account.Email, account.IsAdmin, Times.Utc(account.CreatedAt));
}
