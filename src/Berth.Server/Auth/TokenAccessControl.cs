using System.Collections.Concurrent;
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
/// What the token's <c>access</c> claim grants on a repository is an upper bound: with the index in this process, every
/// request also asks the index what the holder may do now, so a repository made private, a collaborator removed or an
/// account disabled stops an issued token at once (within a second when the change was made on another node). A registry without the index in process (a split deployment) has
/// no permission rows of its own and honours the claim until the token expires, as the Docker token scheme does. On a
/// mirrored name the upstream's pull policy (<see cref="MirroredUpstream.Admits"/>) is applied again on every request.
/// </summary>
internal sealed class TokenAccessControl(TokenValidator validator, TokenChallengeSettings settings, bool indexInProcess) : IAccessController
{
    // Asked on every request that leans on a create grant, i.e. while pushing a new repository: compiled once.
    private static readonly Func<BerthDbContext, string, CancellationToken, Task<RepositoryCreator?>> CreatorOf =
        EF.CompileAsyncQuery((BerthDbContext db, string name, CancellationToken cancellationToken) =>
            db.Repositories.Where(r => r.Name == name).Select(r => new RepositoryCreator(r.CreatedBy)).FirstOrDefault());

    /// <summary>How long a decision of the holder's present rights is reused (see <see cref="CurrentActionsAsync"/>).</summary>
    private static readonly TimeSpan DecisionLife = TimeSpan.FromSeconds(1);

    /// <summary>Bounds the decisions kept: past it they are dropped all at once and taken again from the database.</summary>
    private const int MaxDecisions = 10_000;

    private readonly ConcurrentDictionary<DecisionKey, Decision> _decisions = new();

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

        // What the token's access claim grants on a repository holds only while the holder's rights still allow it now.
        var current = indexInProcess ? await CurrentActionsAsync(context, claims, required, cancellationToken) : null;

        // Through a create grant: pull, and push if the token was granted push; never delete. On a mirrored name only
        // while its pull policy still admits the token's holder.
        var mirrors = context.RequestServices.GetService<IMirroredNames>();
        var signedIn = claims.Subject.Length > 0;
        bool Allows(string type, string name, string action) =>
            (type != ResourceScope.Repository || mirrors?.Find(name) is not { } mirror || mirror.Admits(signedIn)) &&
            ((claims.Allows(type, name, action) &&
              (type != ResourceScope.Repository || current is null || (current.TryGetValue(name, out var now) && now.Contains(action)))) ||
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

    /// <summary>
    /// For each repository the request names and the token's claim grants something on, the actions its holder's rights
    /// allow now (<see cref="IPermissionService.CurrentActionsAsync"/>); a name missing here is allowed nothing.
    /// A decision is reused for <see cref="DecisionLife"/> while <see cref="AccessRulesVersion"/> stands still: a
    /// change saved in this process applies to the next request, one saved on another node within that second.
    /// </summary>
    private async Task<Dictionary<string, IReadOnlySet<string>>> CurrentActionsAsync(
        HttpContext context, TokenClaims claims, IReadOnlyList<AccessRequest> required, CancellationToken cancellationToken)
    {
        var current = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal);
        foreach (var group in required.Where(r => r.Type == ResourceScope.Repository).GroupBy(r => r.Name, StringComparer.Ordinal))
        {
            var wanted = group.SelectMany(r => r.Actions).Where(a => claims.Allows(ResourceScope.Repository, group.Key, a)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            if (wanted.Count == 0)
            {
                continue;
            }

            var services = context.RequestServices;
            var version = services.GetRequiredService<AccessRulesVersion>().Current;
            var time = services.GetRequiredService<TimeProvider>();
            var key = new DecisionKey(claims.Subject, claims.SiteAdmin, group.Key, string.Join(',', wanted));
            if (_decisions.TryGetValue(key, out var known) && known.Version == version && time.GetTimestamp() < known.Until)
            {
                current[group.Key] = known.Actions;
                continue;
            }

            var actions = await services.GetRequiredService<IPermissionService>().CurrentActionsAsync(
                claims.Subject.Length == 0 ? null : claims.Subject, claims.SiteAdmin, group.Key, wanted, cancellationToken);
            if (_decisions.Count >= MaxDecisions)
            {
                _decisions.Clear();
            }

            _decisions[key] = new Decision(actions, version, time.GetTimestamp() + (long)(DecisionLife.TotalSeconds * time.TimestampFrequency));
            current[group.Key] = actions;
        }

        return current;
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

/// <summary>Whose rights, on which repository, for which actions (sorted, comma-separated).</summary>
internal readonly record struct DecisionKey(string Subject, bool SiteAdmin, string Repository, string Wanted);

/// <summary>The actions allowed, as of <see cref="AccessRulesVersion"/> <c>Version</c>, until the timestamp <c>Until</c>.</summary>
internal sealed record Decision(IReadOnlySet<string> Actions, long Version, long Until);
