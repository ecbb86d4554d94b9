using Berth.Data;
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
/// A create grant (a name in the token's <c>berth_create</c>, absent when the token was issued) allows pull, and push
/// if granted, only while the repository is still absent or its row says the token's subject created it; otherwise the
/// request is challenged, and the client's new token is decided on today's permissions.
/// Everything else in the token's <c>access</c> claim was decided when it was issued and holds until it expires, except
/// on a mirrored name: there the upstream's pull policy (<see cref="MirroredUpstream.Admits"/>) is applied again on every
/// request, so a token issued under a wider policy (before a restart with a narrower one) no longer reads.
/// </summary>
internal sealed class TokenAccessControl(TokenValidator validator, TokenChallengeSettings settings, bool indexInProcess) : IAccessController
{
    // Asked on every request that leans on a create grant, i.e. while pushing a new repository: compiled once.
    private static readonly Func<BerthDbContext, string, CancellationToken, Task<RepositoryCreator?>> CreatorOf =
        EF.CompileAsyncQuery((BerthDbContext db, string name, CancellationToken cancellationToken) =>
            db.Repositories.Where(r => r.Name == name).Select(r => new RepositoryCreator(r.CreatedBy)).FirstOrDefault());

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

        // Create grants this request leans on, decided once against the repository rows as they are now.
        Dictionary<string, bool>? creations = null;
        foreach (var request in required)
        {
            if (request.Type == ResourceScope.Repository && claims.MayCreate(request.Name) && creations?.ContainsKey(request.Name) != true)
            {
                creations ??= new(StringComparer.Ordinal);
                creations[request.Name] = await CreationHoldsAsync(context, claims.Subject, request.Name, cancellationToken);
            }
        }

        // Through a create grant: pull, and push if the token was granted push; never delete. On a mirrored name only
        // while its pull policy still admits the token's holder.
        var mirrors = context.RequestServices.GetService<IMirroredNames>();
        var signedIn = claims.Subject.Length > 0;
        bool Allows(string type, string name, string action) =>
            (type != ResourceScope.Repository || mirrors?.Find(name) is not { } mirror || mirror.Admits(signedIn)) &&
            (claims.Allows(type, name, action) ||
             (type == ResourceScope.Repository && creations is not null && creations.TryGetValue(name, out var holds) && holds &&
              (action == AccessRequest.Pull || (action == AccessRequest.Push && claims.Grants(type, name, action)))));

        foreach (var request in required)
        {
            if (request.Optional)
            {
                // Only a token never asked for it is challenged; one that asked and was refused goes on without it.
                if (!claims.Names(request.Type, request.Name))
                {
                    return AccessGrant.Unauthenticated(Challenge(context, required, "insufficient_scope"));
                }

                continue;
            }

            foreach (var action in request.Actions)
            {
                if (!Allows(request.Type, request.Name, action))
                {
                    return AccessGrant.Unauthenticated(Challenge(context, required, "insufficient_scope"));
                }
            }
        }

        return AccessGrant.Allow(claims.Subject.Length == 0 ? null : claims.Subject, Allows, claims.SiteAdmin);
    }

    public async ValueTask<IQueryable<string>?> VisibleRepositoriesAsync(HttpContext context, AccessGrant grant, CancellationToken cancellationToken)
    {
        if (!indexInProcess)
        {
            // The index grants a separate registry's catalog to admins only: they see everything.
            return null;
        }

        var permissions = context.RequestServices.GetRequiredService<IPermissionService>();
        return await permissions.VisibleRepositoryNamesAsync(grant.Subject, grant.SiteAdmin, cancellationToken);
    }

    /// <summary>Whether a create grant still holds: the repository is absent, or <paramref name="subject"/> created it.</summary>
    private static async Task<bool> CreationHoldsAsync(HttpContext context, string subject, string repository, CancellationToken cancellationToken)
    {
        if (subject.Length == 0)
        {
            return false;
        }

        var row = await CreatorOf(context.RequestServices.GetRequiredService<BerthDbContext>(), repository, cancellationToken);
        return row is null || row.CreatedBy == subject;
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

/// <summary>Who created a repository row (null: the index API, or before creators were recorded).</summary>
internal sealed record RepositoryCreator(string? CreatedBy);
