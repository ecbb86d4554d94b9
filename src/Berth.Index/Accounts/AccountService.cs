using Berth.Data;
using Berth.Data.Entities;
using Berth.Index.Audit;
using Microsoft.EntityFrameworkCore;

namespace Berth.Index.Accounts;

internal sealed class AccountService(
    BerthDbContext db,
    IndexOptions options,
    LoginThrottle throttle,
    VerifiedPasswords verified,
    AuditContext request,
    TimeProvider time) : IAccountService
{
    public const int MinPasswordLength = 8;

    // Verified against when the account does not exist, so a miss costs as much as a hit.
    private static readonly string DummyHash = BCrypt.Net.BCrypt.HashPassword("berth-timing-equaliser", 11);

    // Every credential check starts here (a token per request makes it hot): compiled once.
    private static readonly Func<BerthDbContext, string, CancellationToken, Task<Account?>> AccountNamed =
        EF.CompileAsyncQuery((BerthDbContext db, string name, CancellationToken cancellationToken) =>
            db.Accounts.AsNoTracking().FirstOrDefault(a => a.Name == name));

    public async Task<Outcome<Account>> CreateAsync(string name, string password, string? email, bool isAdmin, CancellationToken cancellationToken)
    {
        if (!AccountNames.IsValid(name))
        {
            return IndexError.Invalid("account names are 2-64 characters of a-z, 0-9 and single '.', '_' or '-' between them");
        }

        if (password.Length < MinPasswordLength)
        {
            return IndexError.Invalid($"passwords need at least {MinPasswordLength} characters");
        }

        // A cheap early answer only; the unique namespace name decides races below.
        if (await db.Namespaces.AnyAsync(n => n.Name == name, cancellationToken))
        {
            return IndexError.Conflict($"the name '{name}' is taken");
        }

        // bcrypt takes a while: before the transaction, so it holds the database for two short inserts only.
        var passwordHash = BCrypt.Net.BCrypt.HashPassword(password, options.BcryptWorkFactor);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var @namespace = new NamespaceRecord { Name = name, Kind = NamespaceKind.User };
        db.Namespaces.Add(@namespace);
        var account = new Account
        {
            Name = name,
            Email = email,
            PasswordHash = passwordHash,
            IsAdmin = isAdmin,
            CreatedAt = time.GetUtcNow().UtcDateTime,
        };
        try
        {
            // The namespace row first: a user and an organisation racing for one name cannot both get it.
            await db.SaveChangesAsync(cancellationToken);
            account.NamespaceId = @namespace.Id;
            db.Accounts.Add(account);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            return IndexError.Conflict($"the name '{name}' is taken");
        }

        return account;
    }

    public async Task<AuthenticationResult> AuthenticateAsync(string user, string secret, CancellationToken cancellationToken)
    {
        var source = request.Address;
        var check = await throttle.CheckAsync(source, user, cancellationToken);
        var account = await AccountNamed(db, user, cancellationToken);
        if (secret.StartsWith(Secrets.PersonalAccessTokenPrefix, StringComparison.Ordinal))
        {
            // Checked even while the source is throttled: a valid token is never refused because of password
            // failures (it cannot be guessed, so it needs no protection from them), and checking it costs no bcrypt.
            var byToken = account is null ? null : await AuthenticateTokenAsync(account, secret, cancellationToken);
            if (byToken is not null)
            {
                return AuthenticationResult.Success(byToken);
            }

            if (check.RetryAfter is { } wait)
            {
                return AuthenticationResult.Throttled(wait);
            }

            await throttle.RecordTokenFailureAsync(source, cancellationToken);
            return AuthenticationResult.Fail(AuthenticationFailure.BadCredentials);
        }

        if (check.RetryAfter is { } retryAfter)
        {
            // Not even checked: a blocked source learns nothing about the password, right or wrong.
            return AuthenticationResult.Throttled(retryAfter);
        }

        Principal? principal = null;
        if (account is { IsDisabled: false } && verified.Contains(account.Name, secret, account.PasswordHash))
        {
            principal = new Principal(account.Id, account.Name, account.IsAdmin, Principal.AllScopes);
        }
        else
        {
            var valid = BCrypt.Net.BCrypt.Verify(secret, account?.PasswordHash ?? DummyHash);
            if (valid && account is { IsDisabled: false })
            {
                verified.Add(account.Name, secret, account.PasswordHash);
                principal = new Principal(account.Id, account.Name, account.IsAdmin, Principal.AllScopes);
            }
        }

        if (principal is null)
        {
            await throttle.RecordFailureAsync(source, user, cancellationToken);
            return AuthenticationResult.Fail(AuthenticationFailure.BadCredentials);
        }

        if (check.HasAccountFailures)
        {
            await throttle.RecordSuccessAsync(source, user, cancellationToken);
        }

        return AuthenticationResult.Success(principal);
    }

    public async Task<Principal?> FindPrincipalAsync(long accountId, long? personalAccessTokenId, CancellationToken cancellationToken)
    {
        var account = await db.Accounts.AsNoTracking().FirstOrDefaultAsync(a => a.Id == accountId && !a.IsDisabled, cancellationToken);
        if (account is null)
        {
            return null;
        }

        if (personalAccessTokenId is null)
        {
            return new Principal(account.Id, account.Name, account.IsAdmin, Principal.AllScopes);
        }

        var now = time.GetUtcNow().UtcDateTime;
        var token = await db.PersonalAccessTokens.AsNoTracking()
            .FirstOrDefaultAsync(t => t.Id == personalAccessTokenId && t.AccountId == accountId && t.RevokedAt == null, cancellationToken);
        return token is null || token.ExpiresAt <= now
            ? null
            : new Principal(account.Id, account.Name, account.IsAdmin, token.Scopes, token.Id);
    }

    public async Task<string?> EnsureAdminAsync(string? configuredPassword, CancellationToken cancellationToken)
    {
        if (await db.Accounts.AnyAsync(a => a.IsAdmin, cancellationToken))
        {
            return null;
        }

        var password = string.IsNullOrEmpty(configuredPassword) ? Secrets.NewPassword() : configuredPassword;
        var created = await CreateAsync("admin", password, null, isAdmin: true, cancellationToken);
        if (!created.IsSuccess)
        {
            if (await db.Accounts.AnyAsync(a => a.IsAdmin, cancellationToken))
            {
                return null; // another node starting at the same time on the same database made it first
            }

            throw new InvalidOperationException($"cannot create the admin account: {created.Error.Detail}");
        }

        return string.IsNullOrEmpty(configuredPassword) ? password : null;
    }

    public async Task<Outcome<(PersonalAccessToken Token, string Secret)>> CreateTokenAsync(Principal owner, string name, TokenScopes scopes, DateTime? expiresAt, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 100)
        {
            return IndexError.Invalid("a token needs a name of at most 100 characters");
        }

        if (scopes == TokenScopes.None || (scopes & ~Principal.AllScopes) != 0)
        {
            return IndexError.Invalid("scopes are read, write, delete and admin");
        }

        // A token can never carry more than the credential that creates it.
        if ((scopes & ~owner.Scopes) != 0 || owner.PersonalAccessTokenId is not null)
        {
            return IndexError.Forbidden("tokens can only be created with a password login, and never with more scopes than it has");
        }

        var now = time.GetUtcNow().UtcDateTime;
        if (expiresAt is { } e && e <= now)
        {
            return IndexError.Invalid("the expiry must be in the future");
        }

        var secret = Secrets.New(Secrets.PersonalAccessTokenPrefix);
        var token = new PersonalAccessToken
        {
            AccountId = owner.AccountId,
            Name = name,
            SecretHash = Secrets.Hash(secret),
            Prefix = secret[..(Secrets.PersonalAccessTokenPrefix.Length + 4)],
            Scopes = scopes,
            CreatedAt = now,
            ExpiresAt = expiresAt,
        };
        db.PersonalAccessTokens.Add(token);
        await db.SaveChangesAsync(cancellationToken);
        return (token, secret);
    }

    public async Task<IReadOnlyList<AccessTokenInfo>> ListTokensAsync(Principal owner, CancellationToken cancellationToken)
    {
        var tokens = await db.PersonalAccessTokens.AsNoTracking().Where(t => t.AccountId == owner.AccountId).OrderBy(t => t.Id).ToListAsync(cancellationToken);
        var now = time.GetUtcNow().UtcDateTime;

        // Refresh tokens are listed while they can be used; once revoked or expired they are of no interest.
        var grants = await (from r in db.RefreshTokens.AsNoTracking()
                            where r.AccountId == owner.AccountId && r.RevokedAt == null && r.ExpiresAt > now
                            join t in db.PersonalAccessTokens on r.PersonalAccessTokenId equals t.Id into viaToken
                            from t in viaToken.DefaultIfEmpty()
                            orderby r.Id
                            select new { Grant = r, TokenScopes = t == null ? (TokenScopes?)null : t.Scopes })
            .ToListAsync(cancellationToken);
        return
        [
            .. tokens.Select(t => new AccessTokenInfo(t.Id, AccessTokenKind.PersonalAccessToken, t.Name, t.Scopes, t.Prefix, null, t.CreatedAt, t.ExpiresAt, t.LastUsedAt, t.RevokedAt)),
            .. grants.Select(g => new AccessTokenInfo(
                AccessTokenInfo.RefreshTokenId(g.Grant.Id),
                AccessTokenKind.RefreshToken,
                g.Grant.ClientId,
                g.TokenScopes ?? Principal.AllScopes,
                Secrets.RefreshTokenPrefix,
                g.Grant.ClientId,
                g.Grant.CreatedAt,
                g.Grant.ExpiresAt,
                g.Grant.LastUsedAt,
                g.Grant.RevokedAt)),
        ];
    }

    public async Task<bool> RevokeTokenAsync(Principal owner, long tokenId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (AccessTokenInfo.IsRefreshTokenId(tokenId))
        {
            var grantId = AccessTokenInfo.RefreshTokenRowId(tokenId);
            return await db.RefreshTokens
                .Where(r => r.Id == grantId && r.AccountId == owner.AccountId && r.RevokedAt == null)
                .ExecuteUpdateAsync(r => r.SetProperty(x => x.RevokedAt, now), cancellationToken) > 0;
        }

        var revoked = await db.PersonalAccessTokens
            .Where(t => t.Id == tokenId && t.AccountId == owner.AccountId && t.RevokedAt == null)
            .ExecuteUpdateAsync(t => t.SetProperty(x => x.RevokedAt, now), cancellationToken);
        if (revoked > 0)
        {
            // Refresh tokens obtained with it die with it.
            await db.RefreshTokens.Where(r => r.PersonalAccessTokenId == tokenId && r.RevokedAt == null)
                .ExecuteUpdateAsync(r => r.SetProperty(x => x.RevokedAt, now), cancellationToken);
        }

        return revoked > 0;
    }

    public async Task<Outcome<bool>> ChangePasswordAsync(Principal owner, string currentPassword, string newPassword, CancellationToken cancellationToken)
    {
        if (owner.PersonalAccessTokenId is not null)
        {
            return IndexError.Forbidden("a password can only be changed with a password login");
        }

        var account = await db.Accounts.FirstOrDefaultAsync(a => a.Id == owner.AccountId, cancellationToken);
        if (account is null || !BCrypt.Net.BCrypt.Verify(currentPassword, account.PasswordHash))
        {
            return IndexError.Forbidden("the current password is wrong");
        }

        return await SetPasswordAsync(account, newPassword, cancellationToken);
    }

    public async Task<Outcome<bool>> ResetPasswordAsync(string name, string newPassword, CancellationToken cancellationToken)
    {
        var account = await db.Accounts.FirstOrDefaultAsync(a => a.Name == name, cancellationToken);
        return account is null
            ? IndexError.NotFound($"the account '{name}'")
            : await SetPasswordAsync(account, newPassword, cancellationToken);
    }

    private async Task<Outcome<bool>> SetPasswordAsync(Account account, string newPassword, CancellationToken cancellationToken)
    {
        if (newPassword.Length < MinPasswordLength)
        {
            return IndexError.Invalid($"passwords need at least {MinPasswordLength} characters");
        }

        account.PasswordHash = BCrypt.Net.BCrypt.HashPassword(newPassword, options.BcryptWorkFactor);
        await db.SaveChangesAsync(cancellationToken);

        // Whatever was obtained with the old password goes with it: every refresh token of the account (those obtained
        // with a personal access token too — the token itself stays valid and can obtain new ones). Cached password
        // checks miss by themselves, since the hash they were keyed with is gone.
        var now = time.GetUtcNow().UtcDateTime;
        await db.RefreshTokens.Where(r => r.AccountId == account.Id && r.RevokedAt == null)
            .ExecuteUpdateAsync(r => r.SetProperty(x => x.RevokedAt, now), cancellationToken);

        // And every signed-in browser: a password change is how a user shuts out whoever learnt the old one.
        await db.WebSessions.Where(s => s.AccountId == account.Id).ExecuteDeleteAsync(cancellationToken);
        return true;
    }

    private async Task<Principal?> AuthenticateTokenAsync(Account account, string secret, CancellationToken cancellationToken)
    {
        var hash = Secrets.Hash(secret);
        var now = time.GetUtcNow().UtcDateTime;
        var token = await db.PersonalAccessTokens.FirstOrDefaultAsync(t => t.SecretHash == hash, cancellationToken);
        if (token is null || token.AccountId != account.Id || token.RevokedAt is not null || token.ExpiresAt <= now || account.IsDisabled)
        {
            return null;
        }

        token.LastUsedAt = now;
        await db.SaveChangesAsync(cancellationToken);
        return new Principal(account.Id, account.Name, account.IsAdmin, token.Scopes, token.Id);
    }
}
