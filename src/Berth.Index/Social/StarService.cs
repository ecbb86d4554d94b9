using Berth.Data;
using Berth.Data.Entities;
using Berth.Index.Accounts;
using Berth.Index.Permissions;
using Berth.Index.Repositories;
using Berth.Index.Webhooks;
using Microsoft.EntityFrameworkCore;

namespace Berth.Index.Social;

internal sealed class StarService(BerthDbContext db, IPermissionService permissions, WebhookFanout webhooks, TimeProvider time) : IStarService
{
    public async Task<Outcome<bool>> StarAsync(Principal caller, string repository, CancellationToken cancellationToken)
    {
        var access = await permissions.RequireAsync(caller, repository, AccessLevel.Read, TokenScopes.Write, cancellationToken);
        if (!access.IsSuccess)
        {
            return access.Error;
        }

        var id = access.Value.RepositoryId;
        if (await db.Stars.AnyAsync(s => s.AccountId == caller.AccountId && s.RepositoryId == id, cancellationToken))
        {
            return true;
        }

        db.Stars.Add(new Star { AccountId = caller.AccountId, RepositoryId = id, CreatedAt = time.GetUtcNow().UtcDateTime });
        webhooks.AddRepositoryEvent(await webhooks.MatchAsync(repository, cancellationToken), WebhookEventTypes.Star, caller.Name);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            webhooks.Notify();
        }
        catch (DbUpdateException)
        {
            // Starred twice at once: the other request did it (and told the webhooks).
        }

        return true;
    }

    public async Task<Outcome<bool>> UnstarAsync(Principal caller, string repository, CancellationToken cancellationToken)
    {
        var access = await permissions.RequireAsync(caller, repository, AccessLevel.Read, TokenScopes.Write, cancellationToken);
        if (!access.IsSuccess)
        {
            return access.Error;
        }

        var id = access.Value.RepositoryId;
        await db.Stars.Where(s => s.AccountId == caller.AccountId && s.RepositoryId == id).ExecuteDeleteAsync(cancellationToken);
        return true;
    }

    public async Task<IReadOnlyList<RepositoryInfo>> ListStarredAsync(Principal caller, PageRequest page, CancellationToken cancellationToken)
    {
        var accountId = caller.AccountId;
        var starred = permissions.VisibleRepositories(caller).Where(r => db.Stars.Any(s => s.AccountId == accountId && s.RepositoryId == r.Id));
        var rows = await db.Rows(starred).OrderBy(r => r.Name).Skip(page.Skip).Take(page.Size).ToListAsync(cancellationToken);
        return rows.Select(r => r.ToInfo()).ToList();
    }
}
