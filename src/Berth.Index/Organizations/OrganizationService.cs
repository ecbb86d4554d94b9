using Berth.Data;
using Berth.Data.Entities;
using Berth.Index.Accounts;
using Berth.Index.Audit;
using Berth.Index.Permissions;
using Berth.Oci;
using Microsoft.EntityFrameworkCore;

namespace Berth.Index.Organizations;

internal sealed class OrganizationService(BerthDbContext db, IPermissionService permissions, IAuditLog audit, TimeProvider time) : IOrganizationService
{
    private const int MaxDescription = 4000;

    public async Task<Outcome<OrganizationInfo>> CreateAsync(Principal caller, string name, string? description, bool membersCanCreateRepositories, CancellationToken cancellationToken)
    {
        if (Credentials.Require(caller, TokenScopes.Write) is { } denied)
        {
            return denied;
        }

        if (!AccountNames.IsValid(name))
        {
            return IndexError.Invalid("organisation names are 2-64 characters of a-z, 0-9 and single '.', '_' or '-' between them");
        }

        if (description is { Length: > MaxDescription })
        {
            return IndexError.Invalid($"the description is limited to {MaxDescription} characters");
        }

        // A cheap early answer only; the unique namespace name decides races below.
        if (await db.Namespaces.AnyAsync(n => n.Name == name, cancellationToken))
        {
            return IndexError.Conflict($"the name '{name}' is taken");
        }

        var organization = new Organization
        {
            Name = name,
            Description = description,
            MembersCanCreateRepositories = membersCanCreateRepositories,
            CreatedAt = time.GetUtcNow().UtcDateTime,
        };
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var @namespace = new NamespaceRecord { Name = name, Kind = NamespaceKind.Organization };
        db.Namespaces.Add(@namespace);
        try
        {
            // The namespace row first: a user and an organisation racing for one name cannot both get it.
            await db.SaveChangesAsync(cancellationToken);
            organization.NamespaceId = @namespace.Id;
            db.Organizations.Add(organization);
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            return IndexError.Conflict($"the name '{name}' is taken");
        }

        db.OrganizationMembers.Add(new OrganizationMember { OrganizationId = organization.Id, AccountId = caller.AccountId, Role = OrganizationRole.Owner });
        audit.Add(caller.Name, AuditActions.OrganizationCreated, name);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        return new OrganizationInfo(name, description, membersCanCreateRepositories, Times.Utc(organization.CreatedAt),
            [new OrganizationMemberInfo(caller.Name, OrganizationRole.Owner)], []);
    }

    public async Task<Outcome<OrganizationInfo>> GetAsync(Principal? caller, string name, CancellationToken cancellationToken)
    {
        var organization = await db.Organizations.AsNoTracking().FirstOrDefaultAsync(o => o.Name == name, cancellationToken);
        if (organization is null)
        {
            return IndexError.NotFound($"organisation '{name}'");
        }

        var members = await (from m in db.OrganizationMembers
                             join a in db.Accounts on m.AccountId equals a.Id
                             where m.OrganizationId == organization.Id
                             orderby a.Name
                             select new { a.Id, a.Name, m.Role }).ToListAsync(cancellationToken);
        var insider = caller is not null && (caller.ActsAsAdmin || members.Any(m => m.Id == caller.AccountId));
        if (!insider)
        {
            return new OrganizationInfo(organization.Name, organization.Description, organization.MembersCanCreateRepositories, Times.Utc(organization.CreatedAt), null, null);
        }

        var teamNames = await db.Teams.Where(t => t.OrganizationId == organization.Id)
            .OrderBy(t => t.Name).Select(t => new { t.Id, t.Name }).ToListAsync(cancellationToken);
        var teamMembers = await (from tm in db.TeamMembers
                                 join t in db.Teams on tm.TeamId equals t.Id
                                 join a in db.Accounts on tm.AccountId equals a.Id
                                 where t.OrganizationId == organization.Id
                                 orderby a.Name
                                 select new { tm.TeamId, a.Name }).ToListAsync(cancellationToken);
        var teams = teamNames
            .Select(t => new TeamInfo(t.Name, teamMembers.Where(m => m.TeamId == t.Id).Select(m => m.Name).ToList()))
            .ToList();
        return new OrganizationInfo(organization.Name, organization.Description, organization.MembersCanCreateRepositories, Times.Utc(organization.CreatedAt),
            members.Select(m => new OrganizationMemberInfo(m.Name, m.Role)).ToList(), teams);
    }

    public async Task<Outcome<bool>> SetMemberAsync(Principal caller, string organization, string user, OrganizationRole role, CancellationToken cancellationToken)
    {
        var owned = await OwnedAsync(caller, organization, cancellationToken);
        if (!owned.IsSuccess)
        {
            return owned.Error;
        }

        var accountId = await AccountIdAsync(user, cancellationToken);
        if (accountId is null)
        {
            return IndexError.NotFound($"user '{user}'");
        }

        var orgId = owned.Value.Id;

        // Checks and write in one transaction: a write transaction is one writer at a time on both databases (SQLite
        // begins it IMMEDIATE; SerializedTransactions gives PostgreSQL the same), so two owners demoting each other at
        // once cannot both pass the last-owner check, and two adds of one user cannot both insert. So in the other
        // membership changes below.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var member = await db.OrganizationMembers.FirstOrDefaultAsync(m => m.OrganizationId == orgId && m.AccountId == accountId, cancellationToken);
        if (member is null)
        {
            db.OrganizationMembers.Add(new OrganizationMember { OrganizationId = orgId, AccountId = accountId.Value, Role = role });
        }
        else if (member.Role != role)
        {
            if (member.Role == OrganizationRole.Owner && await IsLastOwnerAsync(orgId, cancellationToken))
            {
                return IndexError.Conflict("an organisation needs at least one owner; make someone else owner first");
            }

            member.Role = role;
        }
        else
        {
            return true;
        }

        audit.Add(caller.Name, AuditActions.OrganizationMemberChanged, organization, $"{user}: {role.ToString().ToLowerInvariant()}");
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<Outcome<bool>> RemoveMemberAsync(Principal caller, string organization, string user, CancellationToken cancellationToken)
    {
        var owned = await OwnedAsync(caller, organization, cancellationToken);
        if (!owned.IsSuccess)
        {
            return owned.Error;
        }

        var orgId = owned.Value.Id;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var member = await (from m in db.OrganizationMembers
                            join a in db.Accounts on m.AccountId equals a.Id
                            where m.OrganizationId == orgId && a.Name == user
                            select m).FirstOrDefaultAsync(cancellationToken);
        if (member is null)
        {
            return IndexError.NotFound($"member '{user}' of '{organization}'");
        }

        if (member.Role == OrganizationRole.Owner && await IsLastOwnerAsync(orgId, cancellationToken))
        {
            return IndexError.Conflict("an organisation needs at least one owner; make someone else owner first");
        }

        var teams = db.Teams.Where(t => t.OrganizationId == orgId).Select(t => t.Id);
        await db.TeamMembers.Where(tm => tm.AccountId == member.AccountId && teams.Contains(tm.TeamId)).ExecuteDeleteAsync(cancellationToken);
        db.OrganizationMembers.Remove(member);
        audit.Add(caller.Name, AuditActions.OrganizationMemberChanged, organization, $"{user}: removed");
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<Outcome<TeamInfo>> CreateTeamAsync(Principal caller, string organization, string team, CancellationToken cancellationToken)
    {
        var owned = await OwnedAsync(caller, organization, cancellationToken);
        if (!owned.IsSuccess)
        {
            return owned.Error;
        }

        if (!IsValidTeamName(team))
        {
            return IndexError.Invalid("team names are 1-64 characters of a-z, 0-9 and single '.', '_' or '-' between them");
        }

        var orgId = owned.Value.Id;
        if (await db.Teams.AnyAsync(t => t.OrganizationId == orgId && t.Name == team, cancellationToken))
        {
            return IndexError.Conflict($"'{organization}' already has a team '{team}'");
        }

        db.Teams.Add(new Team { OrganizationId = orgId, Name = team });
        audit.Add(caller.Name, AuditActions.TeamCreated, $"{organization}/{team}");
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            return IndexError.Conflict($"'{organization}' already has a team '{team}'");
        }

        return new TeamInfo(team, []);
    }

    public async Task<Outcome<bool>> AddTeamMemberAsync(Principal caller, string organization, string team, string user, CancellationToken cancellationToken)
    {
        var found = await TeamAsync(caller, organization, team, cancellationToken);
        if (!found.IsSuccess)
        {
            return found.Error;
        }

        var accountId = await AccountIdAsync(user, cancellationToken);
        if (accountId is null)
        {
            return IndexError.NotFound($"user '{user}'");
        }

        var (orgId, teamId) = found.Value;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await db.TeamMembers.AnyAsync(m => m.TeamId == teamId && m.AccountId == accountId, cancellationToken))
        {
            return true;
        }

        if (!await db.OrganizationMembers.AnyAsync(m => m.OrganizationId == orgId && m.AccountId == accountId, cancellationToken))
        {
            db.OrganizationMembers.Add(new OrganizationMember { OrganizationId = orgId, AccountId = accountId.Value, Role = OrganizationRole.Member });
            audit.Add(caller.Name, AuditActions.OrganizationMemberChanged, organization, $"{user}: member");
        }

        db.TeamMembers.Add(new TeamMember { TeamId = teamId, AccountId = accountId.Value });
        audit.Add(caller.Name, AuditActions.TeamMemberChanged, $"{organization}/{team}", $"{user}: added");
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<Outcome<bool>> RemoveTeamMemberAsync(Principal caller, string organization, string team, string user, CancellationToken cancellationToken)
    {
        var found = await TeamAsync(caller, organization, team, cancellationToken);
        if (!found.IsSuccess)
        {
            return found.Error;
        }

        var teamId = found.Value.TeamId;
        var member = await (from m in db.TeamMembers
                            join a in db.Accounts on m.AccountId equals a.Id
                            where m.TeamId == teamId && a.Name == user
                            select m).FirstOrDefaultAsync(cancellationToken);
        if (member is null)
        {
            return IndexError.NotFound($"member '{user}' of team '{team}'");
        }

        db.TeamMembers.Remove(member);
        audit.Add(caller.Name, AuditActions.TeamMemberChanged, $"{organization}/{team}", $"{user}: removed");
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    /// <summary>Team names follow the same grammar as a repository-name component.</summary>
    internal static bool IsValidTeamName(string name) => name.Length is >= 1 and <= 64 && !name.Contains('/', StringComparison.Ordinal) && RepositoryName.IsValid(name);

    private async Task<Outcome<Organization>> OwnedAsync(Principal caller, string name, CancellationToken cancellationToken)
    {
        var organization = await db.Organizations.AsNoTracking().FirstOrDefaultAsync(o => o.Name == name, cancellationToken);
        if (organization is null)
        {
            return IndexError.NotFound($"organisation '{name}'");
        }

        if (!await permissions.IsOrganizationOwnerAsync(caller, organization.Id, cancellationToken))
        {
            return IndexError.Forbidden($"only owners of '{name}' may change it");
        }

        return Credentials.Require(caller, TokenScopes.Admin) is { } denied ? denied : organization;
    }

    private async Task<Outcome<(long OrganizationId, long TeamId)>> TeamAsync(Principal caller, string organization, string team, CancellationToken cancellationToken)
    {
        var owned = await OwnedAsync(caller, organization, cancellationToken);
        if (!owned.IsSuccess)
        {
            return owned.Error;
        }

        var orgId = owned.Value.Id;
        var teamId = await db.Teams.Where(t => t.OrganizationId == orgId && t.Name == team).Select(t => (long?)t.Id).FirstOrDefaultAsync(cancellationToken);
        return teamId is null ? IndexError.NotFound($"team '{team}' of '{organization}'") : (orgId, teamId.Value);
    }

    private Task<long?> AccountIdAsync(string name, CancellationToken cancellationToken) =>
        db.Accounts.Where(a => a.Name == name && !a.IsDisabled).Select(a => (long?)a.Id).FirstOrDefaultAsync(cancellationToken);

    private async Task<bool> IsLastOwnerAsync(long organizationId, CancellationToken cancellationToken) =>
        await db.OrganizationMembers.CountAsync(m => m.OrganizationId == organizationId && m.Role == OrganizationRole.Owner, cancellationToken) <= 1;
}
