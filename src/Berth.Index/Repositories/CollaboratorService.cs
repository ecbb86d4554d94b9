using Berth.Data;
using Berth.Data.Entities;
using Berth.Index.Accounts;
using Berth.Index.Audit;
using Berth.Index.Permissions;
using Microsoft.EntityFrameworkCore;

namespace Berth.Index.Repositories;

internal sealed class CollaboratorService(BerthDbContext db, IPermissionService permissions, IAuditLog audit) : ICollaboratorService
{
    public async Task<Outcome<IReadOnlyList<CollaboratorInfo>>> ListAsync(Principal caller, string repository, PageRequest page, CancellationToken cancellationToken)
    {
        var access = await AdministeredAsync(caller, repository, cancellationToken);
        if (!access.IsSuccess)
        {
            return access.Error;
        }

        var id = access.Value.RepositoryId;
        var grants = await (from p in db.RepositoryPermissions
                            where p.RepositoryId == id
                            join a in db.Accounts on p.AccountId equals a.Id into users
                            from a in users.DefaultIfEmpty()
                            join t in db.Teams on p.TeamId equals t.Id into teams
                            from t in teams.DefaultIfEmpty()
                            orderby p.Id
                            select new { User = a == null ? null : a.Name, Team = t == null ? null : t.Name, p.Level })
                           .Skip(page.Skip).Take(page.Size).ToListAsync(cancellationToken);
        return grants.Select(g => new CollaboratorInfo(g.User, g.Team, g.Level)).ToList();
    }

    public async Task<Outcome<bool>> SetUserAsync(Principal caller, string repository, string user, AccessLevel level, CancellationToken cancellationToken)
    {
        var access = await AdministeredAsync(caller, repository, cancellationToken);
        if (!access.IsSuccess)
        {
            return access.Error;
        }

        var accountId = await db.Accounts.Where(a => a.Name == user && !a.IsDisabled).Select(a => (long?)a.Id).FirstOrDefaultAsync(cancellationToken);
        if (accountId is null)
        {
            return IndexError.NotFound($"user '{user}'");
        }

        var id = access.Value.RepositoryId;
        return await GrantAsync(caller, repository, db.RepositoryPermissions.Where(p => p.RepositoryId == id && p.AccountId == accountId),
            () => new RepositoryPermission { RepositoryId = id, AccountId = accountId }, $"user {user}", level, cancellationToken);
    }

    public async Task<Outcome<bool>> RemoveUserAsync(Principal caller, string repository, string user, CancellationToken cancellationToken)
    {
        var access = await AdministeredAsync(caller, repository, cancellationToken);
        if (!access.IsSuccess)
        {
            return access.Error;
        }

        var id = access.Value.RepositoryId;
        var grants = from p in db.RepositoryPermissions
                     join a in db.Accounts on p.AccountId equals a.Id
                     where p.RepositoryId == id && a.Name == user
                     select p;
        return await RevokeAsync(caller, repository, grants, $"user {user}", cancellationToken);
    }

    public async Task<Outcome<bool>> SetTeamAsync(Principal caller, string repository, string team, AccessLevel level, CancellationToken cancellationToken)
    {
        var access = await AdministeredAsync(caller, repository, cancellationToken);
        if (!access.IsSuccess)
        {
            return access.Error;
        }

        var id = access.Value.RepositoryId;
        var teamId = await TeamIdAsync(id, team, cancellationToken);
        if (!teamId.IsSuccess)
        {
            return teamId.Error;
        }

        var tid = teamId.Value;
        return await GrantAsync(caller, repository, db.RepositoryPermissions.Where(p => p.RepositoryId == id && p.TeamId == tid),
            () => new RepositoryPermission { RepositoryId = id, TeamId = tid }, $"team {team}", level, cancellationToken);
    }

    public async Task<Outcome<bool>> RemoveTeamAsync(Principal caller, string repository, string team, CancellationToken cancellationToken)
    {
        var access = await AdministeredAsync(caller, repository, cancellationToken);
        if (!access.IsSuccess)
        {
            return access.Error;
        }

        var id = access.Value.RepositoryId;
        var grants = from p in db.RepositoryPermissions
                     join t in db.Teams on p.TeamId equals t.Id
                     where p.RepositoryId == id && t.Name == team
                     select p;
        return await RevokeAsync(caller, repository, grants, $"team {team}", cancellationToken);
    }

    private Task<Outcome<RepositoryAccess>> AdministeredAsync(Principal caller, string repository, CancellationToken cancellationToken) =>
        permissions.RequireAsync(caller, repository, AccessLevel.Admin, TokenScopes.Admin, cancellationToken);

    /// <summary>Upserts the grant. The unique index cannot see NULL columns as equal, so this updates every row that matches.</summary>
    private async Task<Outcome<bool>> GrantAsync(
        Principal caller, string repository, IQueryable<RepositoryPermission> existing, Func<RepositoryPermission> create, string who, AccessLevel level, CancellationToken cancellationToken)
    {
        if (level is not (AccessLevel.Read or AccessLevel.Write or AccessLevel.Admin))
        {
            return IndexError.Invalid("level must be read, write or admin");
        }

        var rows = await existing.ToListAsync(cancellationToken);
        if (rows.Count == 0)
        {
            var grant = create();
            grant.Level = level;
            db.RepositoryPermissions.Add(grant);
        }
        else
        {
            rows.ForEach(r => r.Level = level);
        }

        audit.Add(caller.Name, AuditActions.CollaboratorChanged, repository, $"{who}: {level.ToString().ToLowerInvariant()}");
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    private async Task<Outcome<bool>> RevokeAsync(Principal caller, string repository, IQueryable<RepositoryPermission> grants, string who, CancellationToken cancellationToken)
    {
        var rows = await grants.ToListAsync(cancellationToken);
        if (rows.Count == 0)
        {
            return IndexError.NotFound($"a grant to {who} on '{repository}'");
        }

        db.RepositoryPermissions.RemoveRange(rows);
        audit.Add(caller.Name, AuditActions.CollaboratorChanged, repository, $"{who}: removed");
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    private async Task<Outcome<long>> TeamIdAsync(long repositoryId, string team, CancellationToken cancellationToken)
    {
        var @namespace = await db.Repositories.Where(r => r.Id == repositoryId).Select(r => r.Namespace).FirstAsync(cancellationToken);
        // The organisation that is this namespace (by namespace id and kind, not by a name an account may share).
        var organizationId = await (from n in db.Namespaces
                                    where n.Name == @namespace && n.Kind == NamespaceKind.Organization
                                    join o in db.Organizations on n.Id equals o.NamespaceId
                                    select (long?)o.Id).FirstOrDefaultAsync(cancellationToken);
        if (organizationId is null)
        {
            return IndexError.Invalid("only repositories of an organisation can be shared with teams, and only with that organisation's teams");
        }

        var teamId = await db.Teams.Where(t => t.OrganizationId == organizationId && t.Name == team).Select(t => (long?)t.Id).FirstOrDefaultAsync(cancellationToken);
        return teamId is null ? IndexError.NotFound($"team '{team}' of '{@namespace}'") : teamId.Value;
    }
}
