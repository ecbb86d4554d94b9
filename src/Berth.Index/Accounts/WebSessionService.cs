using Berth.Data;
using Berth.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace Berth.Index.Accounts;

internal sealed class WebSessionService(BerthDbContext db, IUserService users, TimeProvider time) : IWebSessionService
{
    private const int MaxUserAgent = 200;

    public async Task<WebSignIn> SignInAsync(string user, string password, string? userAgent, CancellationToken cancellationToken)
    {
        if (password.StartsWith(Secrets.PersonalAccessTokenPrefix, StringComparison.Ordinal))
        {
            return new WebSignIn(AuthenticationResult.Fail(AuthenticationFailure.BadCredentials), null, default);
        }

        var result = await users.AuthenticateAsync(user, password, cancellationToken);
        if (result.Principal is not { } principal)
        {
            return new WebSignIn(result, null, default);
        }

        var secret = Secrets.New(IWebSessionService.SecretPrefix);
        var now = time.GetUtcNow().UtcDateTime;
        var session = new WebSession
        {
            AccountId = principal.AccountId,
            SecretHash = Secrets.Hash(secret),
            CreatedAt = now,
            LastSeenAt = now,
            ExpiresAt = now + IWebSessionService.Lifetime,
            UserAgent = userAgent is { Length: > MaxUserAgent } ? userAgent[..MaxUserAgent] : userAgent,
        };
        db.WebSessions.Add(session);
        await db.SaveChangesAsync(cancellationToken);
        return new WebSignIn(result, secret, session.ExpiresAt);
    }

    public async Task<Principal?> ResolveAsync(string? secret, CancellationToken cancellationToken)
    {
        if (secret is not { Length: > 0 and <= 128 } || !secret.StartsWith(IWebSessionService.SecretPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var hash = Secrets.Hash(secret);
        var now = time.GetUtcNow().UtcDateTime;
        var found = await (from s in db.WebSessions.AsNoTracking()
                           where s.SecretHash == hash && s.ExpiresAt > now
                           join a in db.Accounts on s.AccountId equals a.Id
                           where !a.IsDisabled
                           select new { s.Id, s.LastSeenAt, a.Name, a.IsAdmin, AccountId = a.Id }).FirstOrDefaultAsync(cancellationToken);
        if (found is null)
        {
            return null;
        }

        if (found.LastSeenAt < now.AddMinutes(-1))
        {
            await db.WebSessions.Where(s => s.Id == found.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.LastSeenAt, now), cancellationToken);
        }

        return new Principal(found.AccountId, found.Name, found.IsAdmin, Principal.AllScopes);
    }

    public async Task EndAsync(string secret, CancellationToken cancellationToken)
    {
        var hash = Secrets.Hash(secret);
        await db.WebSessions.Where(s => s.SecretHash == hash).ExecuteDeleteAsync(cancellationToken);
    }

    public Task<int> EndAllAsync(Principal caller, CancellationToken cancellationToken) =>
        db.WebSessions.Where(s => s.AccountId == caller.AccountId).ExecuteDeleteAsync(cancellationToken);
}
