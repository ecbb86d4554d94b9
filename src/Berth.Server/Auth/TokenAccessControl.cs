using Berth.Data;
using Berth.Index.Accounts;
using Berth.Index.Permissions;
using Berth.Index.Tokens;
using Microsoft.EntityFrameworkCore;

namespace Berth.Server.Auth;

/// <summary>Where clients get tokens and what the tokens must say, for the Bearer challenge.</summary>
public sealed record TokenChallengeSettings(string? Realm, string Service);

/// <summary>
/// <c>--auth token</c>: Bearer JWTs from the index (Docker token auth). A request without a token, with an
/// invalid one, or with one that lacks a needed action is answered 401 with a challenge naming exactly the
/// scope it needs; clients then fetch a token for that scope and retry.
/// </summary>
internal sealed class TokenAccessControl(TokenValidator validator, TokenChallengeSettings settings, bool indexInProcess) : IAccessController
{
    public async ValueTask<AccessGrant> AuthorizeAsync(HttpContext context, IReadOnlyList<AccessRequest> required, CancellationToken cancellationToken)
    {
        string header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AccessGrant.Unauthenticated(Challenge(context, required, null));
        }

        var claims = await validator.ValidateAsync(header[7..].Trim(), cancellationToken);
        if (claims is null)
        {
            return AccessGrant.Unauthenticated(Challenge(context, required, "invalid_token"));
        }

        foreach (var request in required)
        {
            foreach (var action in request.Actions)
            {
                if (!claims.Allows(request.Type, request.Name, action))
                {
                    return AccessGrant.Unauthenticated(Challenge(context, required, "insufficient_scope"));
                }
            }
        }

        return AccessGrant.Allow(claims.Subject.Length == 0 ? null : claims.Subject, claims.Allows, claims.SiteAdmin);
    }

    public async ValueTask<IQueryable<string>?> VisibleRepositoriesAsync(HttpContext context, AccessGrant grant, CancellationToken cancellationToken)
    {
        if (!indexInProcess)
        {
            // The index grants a separate registry's catalog to admins only: they see everything.
            return null;
        }

        var services = context.RequestServices;
        var db = services.GetRequiredService<BerthDbContext>();
        Principal? principal = null;
        if (grant.Subject is { } subject)
        {
            var account = await db.Accounts.AsNoTracking().FirstOrDefaultAsync(a => a.Name == subject && !a.IsDisabled, cancellationToken);
            if (account is null)
            {
                return db.Repositories.Where(_ => false).Select(r => r.Name);
            }

            // Admin powers only when the token says the credential carried them (a read-only admin token does not).
            principal = new Principal(account.Id, account.Name, account.IsAdmin && grant.SiteAdmin, Principal.AllScopes);
        }

        return services.GetRequiredService<IPermissionService>().VisibleRepositories(principal).Select(r => r.Name);
    }

    private string Challenge(HttpContext context, IReadOnlyList<AccessRequest> required, string? error)
    {
        var realm = settings.Realm ?? $"{context.Request.Scheme}://{context.Request.Host}/token";
        var challenge = $"Bearer realm=\"{realm}\",service=\"{settings.Service}\"";
        if (required.Count > 0)
        {
            challenge += $",scope=\"{string.Join(' ', required.Select(r => r.Scope))}\"";
        }

        return error is null ? challenge : challenge + $",error=\"{error}\"";
    }
}
