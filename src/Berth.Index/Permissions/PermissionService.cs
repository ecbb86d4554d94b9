using Berth.Data;
using Berth.Data.Entities;
using Berth.Index.Accounts;
using Berth.Registry;
using Microsoft.EntityFrameworkCore;

namespace Berth.Index.Permissions;

internal sealed class PermissionService(BerthDbContext db) : IPermissionService
{
    public async Task<RepositoryAccess> GetAccessAsync(Principal? principal, string repository, CancellationToken cancellationToken)
    {
        var record = await db.Repositories.AsNoTracking()
            .Where(r => r.Name == repository)
            .Select(r => new { r.Id, r.Namespace, r.Visibility })
            .FirstOrDefaultAsync(cancellationToken);
        var @namespace = record?.Namespace ?? RepositoryRecords.NamespaceOf(repository);
        if (record is null)
        {
            // Whoever may create the repository will administer it; until then every action finds it empty.
            var canCreate = await CanCreateInAsync(principal, @namespace, cancellationToken);
            return new RepositoryAccess(false, 0, canCreate ? AccessLevel.Admin : AccessLevel.None, canCreate);
        }

        var level = record.Visibility == Visibility.Public ? AccessLevel.Read : AccessLevel.None;
        if (principal is not null)
        {
            level = Max(level, await GrantedLevelAsync(principal, record.Id, @namespace, cancellationToken));
        }

        return new RepositoryAccess(true, record.Id, level, CanCreate: false);
    }

    public async Task<IReadOnlyList<string>> AllowedActionsAsync(Principal? principal, string repository, IEnumerable<string> requested, CancellationToken cancellationToken)
    {
        var access = await GetAccessAsync(principal, repository, cancellationToken);
        var allowed = access.Actions().Where(a => CredentialAllows(principal, a)).ToHashSet(StringComparer.Ordinal);
        return requested.Where(allowed.Contains).Distinct(StringComparer.Ordinal).ToList();
    }

    public IQueryable<RepositoryRecord> VisibleRepositories(Principal? principal)
    {
        if (principal is null)
        {
            return db.Repositories.Where(r => r.Visibility == Visibility.Public);
        }

        if (principal.ActsAsAdmin)
        {
            return db.Repositories;
        }

        var accountId = principal.AccountId;
        var name = principal.Name;
        var ownedOrganizations = from m in db.OrganizationMembers
                                 join o in db.Organizations on m.OrganizationId equals o.Id
                                 where m.AccountId == accountId && m.Role == OrganizationRole.Owner
                                 select o.Name;
        var teams = db.TeamMembers.Where(t => t.AccountId == accountId).Select(t => t.TeamId);
        var granted = db.RepositoryPermissions
            .Where(p => p.AccountId == accountId || (p.TeamId != null && teams.Contains(p.TeamId.Value)))
            .Select(p => p.RepositoryId);
        return db.Repositories.Where(r =>
            r.Visibility == Visibility.Public || r.Namespace == name || ownedOrganizations.Contains(r.Namespace) || granted.Contains(r.Id));
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

        if (@namespace == principal.Name)
        {
            return true;
        }

        var membership = await (from o in db.Organizations
                                where o.Name == @namespace
                                join m in db.OrganizationMembers on o.Id equals m.OrganizationId
                                where m.AccountId == principal.AccountId
                                select new { m.Role, o.MembersCanCreateRepositories }).FirstOrDefaultAsync(cancellationToken);
        return membership is not null && (membership.Role == OrganizationRole.Owner || membership.MembersCanCreateRepositories);
    }

    public async Task<bool> IsOrganizationOwnerAsync(Principal? principal, long organizationId, CancellationToken cancellationToken) =>
        principal is not null && (principal.ActsAsAdmin || await db.OrganizationMembers.AnyAsync(
            m => m.OrganizationId == organizationId && m.AccountId == principal.AccountId && m.Role == OrganizationRole.Owner, cancellationToken));

    private async Task<AccessLevel> GrantedLevelAsync(Principal principal, long repositoryId, string @namespace, CancellationToken cancellationToken)
    {
        if (principal.ActsAsAdmin || @namespace == principal.Name)
        {
            return AccessLevel.Admin;
        }

        var isOrganizationOwner = await (from o in db.Organizations
                                         where o.Name == @namespace
                                         join m in db.OrganizationMembers on o.Id equals m.OrganizationId
                                         where m.AccountId == principal.AccountId && m.Role == OrganizationRole.Owner
                                         select m).AnyAsync(cancellationToken);
        if (isOrganizationOwner)
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
