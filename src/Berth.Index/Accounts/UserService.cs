using Berth.Data;
using Berth.Data.Entities;
using Berth.Index.Audit;
using Microsoft.EntityFrameworkCore;

namespace Berth.Index.Accounts;

internal sealed class UserService(
    BerthDbContext db,
    IAccountService accounts,
    IAuditLog audit,
    LoginThrottle throttle,
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

    public async Task<IReadOnlyList<PersonalAccessToken>> ListTokensAsync(Principal caller, PageRequest page, CancellationToken cancellationToken)
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

        await audit.RecordAsync(caller.Name, AuditActions.TokenRevoked, caller.Name, $"token {tokenId}", cancellationToken);
        return true;
    }

    public async Task<AuthenticationResult> AuthenticateAsync(string user, string secret, CancellationToken cancellationToken)
    {
        var result = await accounts.AuthenticateAsync(user, secret, cancellationToken);
        if (result.Failure == AuthenticationFailure.BadCredentials)
        {
            await audit.RecordAsync(user, AuditActions.LoginFailed, user, "REST API", cancellationToken);
            if (throttle.IsLocked(user))
            {
                // Recorded once, when the lock starts; attempts during the lock write nothing (bounded under attack).
                await audit.RecordAsync(user, AuditActions.LoginLocked, user, $"{LoginThrottle.MaxFailures} failed logins", cancellationToken);
            }
        }

        return result;
    }

    public async Task<AuthenticationResult> AuthenticateTokenAsync(string token, CancellationToken cancellationToken)
    {
        if (!token.StartsWith(Secrets.PersonalAccessTokenPrefix, StringComparison.Ordinal))
        {
            return AuthenticationResult.Fail(AuthenticationFailure.BadCredentials);
        }

        var hash = Secrets.Hash(token);
        var owner = await (from t in db.PersonalAccessTokens
                           join a in db.Accounts on t.AccountId equals a.Id
                           where t.SecretHash == hash
                           select a.Name).FirstOrDefaultAsync(cancellationToken);
        return owner is null
            ? AuthenticationResult.Fail(AuthenticationFailure.BadCredentials)
            : await AuthenticateAsync(owner, token, cancellationToken);
    }

    private static AccountInfo ToInfo(Account account) => new(account.Name, account.Email, account.IsAdmin, Times.Utc(account.CreatedAt));
}
