using Berth.Data;
using Berth.Data.Entities;
using Berth.Data.Events;
using Berth.Index.Accounts;
using Berth.Index.Permissions;
using Microsoft.EntityFrameworkCore;

namespace Berth.Index.Events;

/// <summary>
/// Keeps the index's repository records in step with the registry (seed scenario B: "index updated with
/// checksums"): tags with digests and sizes, push times, pull counts. The same code runs whether the events
/// come from the registry in this process or from a separate registry over HTTP.
/// </summary>
public sealed class IndexRecords(BerthDbContext db, IndexOptions options, IPermissionService permissions)
{
    public async Task ApplyAsync(RegistryEvent e, CancellationToken cancellationToken)
    {
        switch (e.Action)
        {
            case RegistryActions.Push:
                // A separate registry creates repositories on first push; the index learns of them here, and the
                // pusher of the first push it hears of is the creator (the registry let only its creator push it).
                var repositoryId = await db.GetOrCreateIdAsync(e.Repository, new RepositoryDefaults(options.DefaultVisibility), e.Timestamp, e.Actor, cancellationToken);
                // Only forward: in this process the push has set it already (no row is written again), and a separate
                // registry's older event, heard late, does not move it back.
                await db.Database.ExecuteSqlInterpolatedAsync(
                    $"""
                    UPDATE "repositories" SET "LastPushedAt" = {e.Timestamp}
                    WHERE "Id" = {repositoryId} AND ("LastPushedAt" IS NULL OR "LastPushedAt" < {e.Timestamp})
                    """,
                    cancellationToken);
                await GrantCreatorAsync(repositoryId, e.Repository, e.Actor, cancellationToken);
                if (e.Tag is not null)
                {
                    // One statement, whether the tag is new or moves: every push of a burst is applied here, one by one.
                    var platforms = e.Platforms is { Length: <= TagSummary.MaxPlatformsLength } ? e.Platforms : null;
                    await db.Database.ExecuteSqlInterpolatedAsync(
                        $"""
                        INSERT INTO "tag_summaries" ("RepositoryId", "Tag", "Digest", "MediaType", "Size", "PushedAt", "Pusher", "Platforms")
                        VALUES ({repositoryId}, {e.Tag}, {e.Digest}, {e.MediaType}, {e.ImageSize}, {e.Timestamp}, {e.Actor}, {platforms})
                        ON CONFLICT ("RepositoryId", "Tag") DO UPDATE SET "Digest" = excluded."Digest", "MediaType" = excluded."MediaType",
                            "Size" = excluded."Size", "PushedAt" = excluded."PushedAt", "Pusher" = excluded."Pusher", "Platforms" = excluded."Platforms"
                        """,
                        cancellationToken);
                }

                break;
            case RegistryActions.Delete:
                var query = from t in db.TagSummaries
                            join r in db.Repositories on t.RepositoryId equals r.Id
                            where r.Name == e.Repository
                            select t;
                query = e.Tag is not null ? query.Where(t => t.Tag == e.Tag) : query.Where(t => t.Digest == e.Digest);
                var removed = await query.ToListAsync(cancellationToken);
                db.TagSummaries.RemoveRange(removed);
                await db.SaveChangesAsync(cancellationToken);
                break;
        }
    }

    public Task AddPullsAsync(string repository, long count, CancellationToken cancellationToken) =>
        db.Repositories.Where(r => r.Name == repository)
            .ExecuteUpdateAsync(r => r.SetProperty(x => x.PullCount, x => x.PullCount + count), cancellationToken);

    /// <summary>
    /// Whoever's push created the repository (an org member where members may create) becomes its admin, as with
    /// the REST API. The row's <c>CreatedBy</c> decides who, never the order of pushes: a push by someone else is no
    /// claim to the repository, whatever token they came with. Only while the index has no tag recorded for it (the
    /// creator's first pushes), so an admin who later demotes the creator is not overruled by the creator's next push.
    /// </summary>
    private async Task GrantCreatorAsync(long repositoryId, string repository, string? actor, CancellationToken cancellationToken)
    {
        if (actor is null)
        {
            return;
        }

        var createdBy = await db.Repositories.Where(r => r.Id == repositoryId).Select(r => r.CreatedBy).FirstOrDefaultAsync(cancellationToken);
        if (createdBy != actor || await db.TagSummaries.AnyAsync(t => t.RepositoryId == repositoryId, cancellationToken))
        {
            return;
        }

        var account = await db.Accounts.AsNoTracking().FirstOrDefaultAsync(a => a.Name == actor, cancellationToken);
        if (account is null)
        {
            return;
        }

        var principal = new Principal(account.Id, account.Name, account.IsAdmin, Principal.AllScopes);
        var access = await permissions.GetAccessAsync(principal, repository, cancellationToken);
        if (access.Level >= AccessLevel.Write)
        {
            return;
        }

        var existing = await db.RepositoryPermissions.FirstOrDefaultAsync(p => p.RepositoryId == repositoryId && p.AccountId == account.Id, cancellationToken);
        if (existing is null)
        {
            db.RepositoryPermissions.Add(new RepositoryPermission { RepositoryId = repositoryId, AccountId = account.Id, Level = AccessLevel.Admin });
        }
        else
        {
            existing.Level = AccessLevel.Admin;
        }

        await db.SaveChangesAsync(cancellationToken);
    }
}
