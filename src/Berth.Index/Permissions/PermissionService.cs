using Berth.Data;
using Berth.Data.Entities;
using Berth.Index.Accounts;
using Microsoft.EntityFrameworkCore;

namespace Berth.Index.Permissions;

/// <summary>
/// Mirrored names (<see cref="IMirroredNames"/>) are read-only and decided by their upstream's pull policy, cached or
/// not, whatever the row's visibility says; the caller's grants on a cached one add to it, but only ever to pull.
/// </summary>
internal sealed class PermissionService(BerthDbContext db, IMirroredNames? mirrors = null) : IPermissionService
{
    private static readonly IReadOnlySet<string> PullOnly = new HashSet<string>([RepositoryAccess.Pull], StringComparer.Ordinal);
    private static readonly IReadOnlySet<string> NoActions = new HashSet<string>(StringComparer.Ordinal);

    // Both are asked on every token-authenticated registry request: compiled once.
    private static readonly Func<BerthDbContext, string, CancellationToken, Task<Visibility?>> VisibilityOf =
        EF.CompileAsyncQuery((BerthDbContext db, string name, CancellationToken cancellationToken) =>
            db.Repositories.Where(r => r.Name == name).Select(r => (Visibility?)r.Visibility).FirstOrDefault());

    private static readonly Func<BerthDbContext, string, CancellationToken, Task<TokenHolder?>> ActiveAccount =
        EF.CompileAsyncQuery((BerthDbContext db, string name, CancellationToken cancellationToken) =>
            db.Accounts.Where(a => a.Name == name && !a.IsDisabled).Select(a => new TokenHolder(a.Id, a.Name, a.IsAdmin)).FirstOrDefault());

    private readonly IMirroredNames _mirrors = mirrors ?? NoMirroredNames.Instance;

    public async Task<RepositoryAccess> GetAccessAsync(Principal? principal, string repository, CancellationToken cancellationToken)
    {
        var mirror = _mirrors.Find(repository);
        var record = await db.Repositories.AsNoTracking()
            .Where(r => r.Name == repository)
            .Select(r => new { r.Id, r.Namespace, r.Visibility })
            .FirstOrDefaultAsync(cancellationToken);
        var @namespace = record?.Namespace ?? RepositoryRecords.NamespaceOf(repository);
        if (record is null && mirror is not null)
        {
            // Not cached yet: whoever the policy admits may pull it (the pull caches it); nobody creates it.
            return new RepositoryAccess(false, 0, mirror.Admits(principal is not null) ? AccessLevel.Read : AccessLevel.None, CanCreate: false);
        }

        if (record is null)
        {
            // Whoever may create the repository will administer it; until then every action finds it empty.
            var canCreate = await CanCreateInAsync(principal, @namespace, cancellationToken);
            return new RepositoryAccess(false, 0, canCreate ? AccessLevel.Admin : AccessLevel.None, canCreate);
        }

        var level = mirror is not null
            ? (mirror.Admits(principal is not null) ? AccessLevel.Read : AccessLevel.None)
            : (record.Visibility == Visibility.Public ? AccessLevel.Read : AccessLevel.None);
        if (principal is not null)
        {
            level = Max(level, await GrantedLevelAsync(principal, record.Id, @namespace, cancellationToken));
        }

        return new RepositoryAccess(true, record.Id, level, CanCreate: false);
    }

    public async Task<AllowedActions> AllowedActionsAsync(Principal? principal, string repository, IEnumerable<string> requested, CancellationToken cancellationToken)
    {
        var wanted = requested.Distinct(StringComparer.Ordinal).ToList();
        var access = await GetAccessAsync(principal, repository, cancellationToken);
        if (_mirrors.Find(repository) is not null)
        {
            // A mirror's repository is read-only for everyone, site admins too (the registry refuses pushes, mounts into
            // it and deletes): pull at most, cached or not, and never a grant to create it.
            var pull = wanted.Contains(RepositoryAccess.Pull, StringComparer.Ordinal) && access.Level >= AccessLevel.Read &&
                       CredentialAllows(principal, RepositoryAccess.Pull);
            return pull ? new AllowedActions([RepositoryAccess.Pull], CreatesRepository: false) : AllowedActions.None;
        }

        // A site admin administers every repository whoever creates it, so nothing it is granted here can carry over
        // to someone else's repository: its grants on an absent name are the ordinary ones (a DELETE there is a 404).
        if (!access.Exists && principal?.ActsAsAdmin != true)
        {
            // Nothing to read or delete yet. Push is the right to create it, and pull may find it empty: not standing
            // grants on whatever is there later, since someone else may create it first (the registry checks who did).
            var create = access.CanCreate && (wanted.Contains(RepositoryAccess.Push, StringComparer.Ordinal) || wanted.Contains(RepositoryAccess.Pull, StringComparer.Ordinal));
            return create
                ? new AllowedActions(wanted.Where(a => a == RepositoryAccess.Push).ToList(), CreatesRepository: true)
                : AllowedActions.None;
        }

        var allowed = access.Actions().Where(a => CredentialAllows(principal, a)).ToHashSet(StringComparer.Ordinal);
        return new AllowedActions(wanted.Where(allowed.Contains).ToList(), CreatesRepository: false);
    }

    public IQueryable<RepositoryRecord> VisibleRepositories(Principal? principal)
    {
        // Cached mirror repositories are listed as their upstream's pull policy says, not as their row's visibility:
        // those of an upstream whose policy admits the caller are added, those of one that does not are left out (a
        // repository of an upstream no longer configured is an ordinary one). Without mirrors the queries are as ever.
        var mirrored = _mirrors.Upstreams.Count > 0;
        if (principal is null)
        {
            if (!mirrored)
            {
                return db.Repositories.Where(r => r.Visibility == Visibility.Public);
            }

            var admitted = _mirrors.Upstreams.Where(u => u.Admits(signedIn: false)).Select(u => u.Source).ToList();
            var refused = _mirrors.Upstreams.Where(u => !u.Admits(signedIn: false)).Select(u => u.Source).ToList();
            return db.Repositories.Where(r =>
                (r.MirrorSource == null && r.Visibility == Visibility.Public) ||
                (r.MirrorSource != null && (admitted.Contains(r.MirrorSource) || (r.Visibility == Visibility.Public && !refused.Contains(r.MirrorSource)))));
        }

        if (principal.ActsAsAdmin)
        {
            return db.Repositories;
        }

        var accountId = principal.AccountId;
        var owned = OwnedNamespaces(accountId, includeCreatingMembers: false);
        var teams = db.TeamMembers.Where(t => t.AccountId == accountId).Select(t => t.TeamId);
        var granted = db.RepositoryPermissions
            .Where(p => p.AccountId == accountId || (p.TeamId != null && teams.Contains(p.TeamId.Value)))
            .Select(p => p.RepositoryId);
        if (!mirrored)
        {
            return db.Repositories.Where(r => r.Visibility == Visibility.Public || owned.Contains(r.Namespace) || granted.Contains(r.Id));
        }

        var sources = _mirrors.Upstreams.Where(u => u.Admits(signedIn: true)).Select(u => u.Source).ToList();
        return db.Repositories.Where(r => r.Visibility == Visibility.Public || owned.Contains(r.Namespace) || granted.Contains(r.Id) ||
                                          (r.MirrorSource != null && sources.Contains(r.MirrorSource)));
    }

    public async Task<IQueryable<string>> VisibleRepositoryNamesAsync(string? subject, bool siteAdmin, CancellationToken cancellationToken)
    {
        var (known, principal) = await TokenHolderAsync(subject, siteAdmin, cancellationToken);
        return known ? VisibleRepositories(principal).Select(r => r.Name) : db.Repositories.Where(_ => false).Select(r => r.Name);
    }

    public async Task<IReadOnlySet<string>> CurrentActionsAsync(string? subject, bool siteAdmin, string repository, IReadOnlyCollection<string> wanted, CancellationToken cancellationToken)
    {
        // Every pull of a public repository passes here: one compiled query decides it, whoever asks.
        if (wanted.All(a => a == RepositoryAccess.Pull) && _mirrors.Find(repository) is null &&
            await VisibilityOf(db, repository, cancellationToken) == Visibility.Public)
        {
            return PullOnly;
        }

        var (known, principal) = await TokenHolderAsync(subject, siteAdmin, cancellationToken);
        if (!known)
        {
            return NoActions;
        }

        var allowed = await AllowedActionsAsync(principal, repository, wanted, cancellationToken);
        return allowed.CreatesRepository ? NoActions : allowed.Actions.ToHashSet(StringComparer.Ordinal);
    }

    public async Task<bool> CanCreateInAsync(Principal? principal, string @namespace, CancellationToken cancellationToken)
    {
        if (principal is null || !CredentialAllows(principal, RepositoryAccess.Push))
        {
            return false;
        }

        if (principal.ActsAsAdmin)
        {
            return true;
        }

        // Top-level names (no namespace) are for admins and mirrors only.
        if (@namespace.Length == 0)
        {
            return false;
        }

        return await OwnedNamespaces(principal.AccountId, includeCreatingMembers: true).ContainsAsync(@namespace, cancellationToken);
    }

    public async Task<bool> AdministersNamespaceAsync(Principal? principal, string @namespace, CancellationToken cancellationToken) =>
        principal is not null && (principal.ActsAsAdmin
            || await OwnedNamespaces(principal.AccountId, includeCreatingMembers: false).ContainsAsync(@namespace, cancellationToken));

    public async Task<bool> IsOrganizationOwnerAsync(Principal? principal, long organizationId, CancellationToken cancellationToken) =>
        principal is not null && (principal.ActsAsAdmin || await db.OrganizationMembers.AnyAsync(
            m => m.OrganizationId == organizationId && m.AccountId == principal.AccountId && m.Role == OrganizationRole.Owner, cancellationToken));

    private async Task<AccessLevel> GrantedLevelAsync(Principal principal, long repositoryId, string @namespace, CancellationToken cancellationToken)
    {
        if (principal.ActsAsAdmin || await OwnedNamespaces(principal.AccountId, includeCreatingMembers: false).ContainsAsync(@namespace, cancellationToken))
        {
            return AccessLevel.Admin;
        }

        var accountId = principal.AccountId;
        var teams = db.TeamMembers.Where(t => t.AccountId == accountId).Select(t => t.TeamId);
        var levels = await db.RepositoryPermissions
            .Where(p => p.RepositoryId == repositoryId && (p.AccountId == accountId || (p.TeamId != null && teams.Contains(p.TeamId.Value))))
            .Select(p => p.Level)
            .ToListAsync(cancellationToken);
        return levels.Count == 0 ? AccessLevel.None : levels.Max();
    }

    /// <summary>
    /// Names of the namespaces an account administers: its own user namespace and the organisations it owns (with
    /// <paramref name="includeCreatingMembers"/>, also those where members may create repositories). Decided by
    /// namespace id and kind, never by comparing an account's name with an organisation's: a name is one namespace.
    /// </summary>
    private IQueryable<string> OwnedNamespaces(long accountId, bool includeCreatingMembers)
    {
        var own = db.Accounts.Where(a => a.Id == accountId).Select(a => a.NamespaceId);
        var organizations = from m in db.OrganizationMembers
                            join o in db.Organizations on m.OrganizationId equals o.Id
                            where m.AccountId == accountId &&
                                  (m.Role == OrganizationRole.Owner || (includeCreatingMembers && o.MembersCanCreateRepositories))
                            select o.NamespaceId;
        return db.Namespaces
            .Where(n => (n.Kind == NamespaceKind.User && own.Contains((long?)n.Id)) ||
                        (n.Kind == NamespaceKind.Organization && organizations.Contains((long?)n.Id)))
            .Select(n => n.Name);
    }

    /// <summary>
    /// The principal a registry token stands for: null for anonymous; <c>known</c> false for an unknown or disabled
    /// account, which is allowed nothing. The token's powers are the credential's: without site-admin powers (a
    /// read-only admin token) an admin account has what its own grants give.
    /// </summary>
    private async Task<(bool Known, Principal? Principal)> TokenHolderAsync(string? subject, bool siteAdmin, CancellationToken cancellationToken)
    {
        if (subject is null)
        {
            return (true, null);
        }

        var account = await ActiveAccount(db, subject, cancellationToken);
        return account is null
            ? (false, null)
            : (true, new Principal(account.Id, account.Name, account.IsAdmin, siteAdmin ? Principal.AllScopes : Principal.AllScopes & ~TokenScopes.Admin));
    }

    /// <summary>What the credential itself permits (a read-only token cannot push, whatever the account may do).</summary>
    private static bool CredentialAllows(Principal? principal, string action)
    {
        if (principal is null)
        {
            return action == RepositoryAccess.Pull;
        }

        var scopes = principal.Scopes;
        return action switch
        {
            RepositoryAccess.Pull => scopes != TokenScopes.None,
            RepositoryAccess.Push => (scopes & (TokenScopes.Write | TokenScopes.Admin)) != 0,
            RepositoryAccess.Delete => (scopes & (TokenScopes.Delete | TokenScopes.Admin)) != 0,
            _ => false,
        };
    }

    private static AccessLevel Max(AccessLevel a, AccessLevel b) => a > b ? a : b;
}

/// <summary>The account behind a registry token's subject.</summary>
internal sealed record TokenHolder(long Id, string Name, bool IsAdmin);
