using Berth.Data;
using Berth.Data.Entities;
using Berth.Data.Gc;
using Berth.Data.Quotas;
using Berth.Index.Accounts;
using Berth.Index.Audit;
using Berth.Index.Events;
using Berth.Index.Permissions;
using Berth.Index.Webhooks;
using Berth.Oci;
using Microsoft.EntityFrameworkCore;

namespace Berth.Index.Repositories;

internal sealed class RepositoryService(
    BerthDbContext db,
    IPermissionService permissions,
    IAuditLog audit,
    IndexOptions options,
    TimeProvider time,
    WebhookFanout webhooks,
    IRepositoryContentRemover? contentRemover = null) : IRepositoryService
{
    public const int DetailTagLimit = 100;
    private const int MaxDescription = 4000;

    public async Task<IReadOnlyList<RepositoryInfo>> ListAsync(Principal? caller, string? @namespace, PageRequest page, CancellationToken cancellationToken)
    {
        var visible = permissions.VisibleRepositories(caller);
        if (!string.IsNullOrEmpty(@namespace))
        {
            visible = visible.Where(r => r.Namespace == @namespace);
        }

        var rows = await db.Rows(visible).OrderBy(r => r.Name).Skip(page.Skip).Take(page.Size).ToListAsync(cancellationToken);
        return rows.Select(r => r.ToInfo()).ToList();
    }

    public async Task<Outcome<RepositoryDetails>> CreateAsync(Principal caller, string name, Visibility? visibility, string? description, CancellationToken cancellationToken)
    {
        if (!RepositoryName.IsValid(name))
        {
            return IndexError.Invalid("repository names are path components of a-z, 0-9 and single '.', '_' or '-' (or '__', or runs of '-') between them, separated by '/', at most 255 characters");
        }

        if (description is { Length: > MaxDescription })
        {
            return IndexError.Invalid($"the description is limited to {MaxDescription} characters");
        }

        var @namespace = RepositoryRecords.NamespaceOf(name);
        if (!await permissions.CanCreateInAsync(caller, @namespace, cancellationToken))
        {
            // Decided before looking the name up, so a refusal says nothing about what exists there.
            return IndexError.Forbidden(@namespace.Length == 0
                ? "only administrators may create top-level repositories"
                : $"you may not create repositories in '{@namespace}'");
        }

        var record = new RepositoryRecord
        {
            Name = name,
            Namespace = @namespace,
            Visibility = visibility ?? options.DefaultVisibility,
            Description = string.IsNullOrEmpty(description) ? null : description,
            CreatedAt = time.GetUtcNow().UtcDateTime,
        };
        if (await db.Repositories.AnyAsync(r => r.Name == name, cancellationToken))
        {
            return IndexError.Conflict($"repository '{name}' already exists");
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        db.Repositories.Add(record);
        audit.Add(caller.Name, AuditActions.RepositoryCreated, name, record.Visibility.ToString().ToLowerInvariant());
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            return IndexError.Conflict($"repository '{name}' already exists");
        }

        // An organisation member allowed to create has no standing grant on what they create: make them its admin.
        if ((await permissions.GetAccessAsync(caller, name, cancellationToken)).Level < AccessLevel.Admin)
        {
            db.RepositoryPermissions.Add(new RepositoryPermission { RepositoryId = record.Id, AccountId = caller.AccountId, Level = AccessLevel.Admin });
            await db.SaveChangesAsync(cancellationToken);
        }

        webhooks.AddRepositoryEvent(await webhooks.MatchAsync(name, cancellationToken), WebhookEventTypes.RepositoryCreated, caller.Name);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        webhooks.Notify();
        return await GetAsync(caller, name, cancellationToken);
    }

    public async Task<Outcome<RepositoryDetails>> GetAsync(Principal? caller, string name, CancellationToken cancellationToken)
    {
        var access = await permissions.ReadableAsync(caller, name, cancellationToken);
        return access.IsSuccess ? await DetailsAsync(caller, access.Value, cancellationToken) : access.Error;
    }

    public async Task<Outcome<RepositoryDetails>> UpdateAsync(Principal caller, string name, Visibility? visibility, string? description, CancellationToken cancellationToken)
    {
        var access = await permissions.RequireAsync(caller, name, AccessLevel.Admin, TokenScopes.Admin, cancellationToken);
        if (!access.IsSuccess)
        {
            return access.Error;
        }

        if (description is { Length: > MaxDescription })
        {
            return IndexError.Invalid($"the description is limited to {MaxDescription} characters");
        }

        var record = await db.Repositories.FirstAsync(r => r.Id == access.Value.RepositoryId, cancellationToken);
        if (visibility is { } v && v != record.Visibility)
        {
            var previous = record.Visibility.ToString().ToLowerInvariant();
            audit.Add(caller.Name, AuditActions.RepositoryVisibilityChanged, name, $"{previous} -> {v.ToString().ToLowerInvariant()}");
            record.Visibility = v;
            var targets = await webhooks.MatchAsync(name, cancellationToken);
            webhooks.AddRepositoryEvent(targets with { Visibility = v }, WebhookEventTypes.VisibilityChanged, caller.Name, new WebhookEventData { PreviousVisibility = previous });
        }

        if (description is not null)
        {
            record.Description = description.Length == 0 ? null : description;
        }

        await db.SaveChangesAsync(cancellationToken);
        webhooks.Notify();

        // Re-read the access: the caller may have just given up the only grant that made it visible to them.
        var now = await permissions.GetAccessAsync(caller, name, cancellationToken);
        return await DetailsAsync(caller, now, cancellationToken);
    }

    public async Task<Outcome<bool>> DeleteAsync(Principal caller, string name, CancellationToken cancellationToken)
    {
        var access = await permissions.RequireAsync(caller, name, AccessLevel.Admin, TokenScopes.Delete, cancellationToken);
        if (!access.IsSuccess)
        {
            return access.Error;
        }

        // The database cascades the rest: tags, manifests (and their references), blob links, tag summaries,
        // permissions, stars and comments. Blob bytes are shared and stay until garbage collection. Separate
        // registries are owed a deletion, recorded in this same transaction and delivered after it commits.
        var id = access.Value.RepositoryId;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var targets = await webhooks.MatchAsync(name, cancellationToken);

        // What the repository held is queued for garbage collection before the cascade removes the links to it.
        await db.AddRepositoryBlobsAsync(id, time.GetUtcNow().UtcDateTime, cancellationToken);
        await db.ReleaseLinksAsync(id, null, cancellationToken);
        var deleted = await db.Repositories.Where(r => r.Id == id).ExecuteDeleteAsync(cancellationToken);
        if (deleted == 0)
        {
            return RepositoryQueries.NotFound(name);
        }

        if (contentRemover is not null)
        {
            await contentRemover.ScheduleAsync(name, cancellationToken);
        }

        audit.Add(caller.Name, AuditActions.RepositoryDeleted, name);
        webhooks.AddRepositoryEvent(targets, WebhookEventTypes.RepositoryDeleted, caller.Name, namespaceOnly: true);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        contentRemover?.Start();
        webhooks.Notify();
        return true;
    }

    public async Task<Outcome<IReadOnlyList<TagInfo>>> ListTagsAsync(Principal? caller, string name, PageRequest page, CancellationToken cancellationToken)
    {
        var access = await permissions.ReadableAsync(caller, name, cancellationToken);
        if (!access.IsSuccess)
        {
            return access.Error;
        }

        return await TagsAsync(access.Value.RepositoryId, page.Skip, page.Size, cancellationToken);
    }

    private async Task<Outcome<RepositoryDetails>> DetailsAsync(Principal? caller, RepositoryAccess access, CancellationToken cancellationToken)
    {
        var id = access.RepositoryId;
        var row = await db.Rows(db.Repositories.Where(r => r.Id == id)).FirstOrDefaultAsync(cancellationToken);
        if (row is null || !access.IsVisible)
        {
            return RepositoryQueries.NotFound(row?.Name ?? "");
        }

        var comments = await db.Comments.LongCountAsync(c => c.RepositoryId == id, cancellationToken);
        var starred = caller is not null && await db.Stars.AnyAsync(s => s.RepositoryId == id && s.AccountId == caller.AccountId, cancellationToken);
        var tags = await TagsAsync(id, 0, DetailTagLimit, cancellationToken);
        var tagCount = tags.Count < DetailTagLimit ? tags.Count : await db.TagSummaries.LongCountAsync(t => t.RepositoryId == id, cancellationToken);
        return new RepositoryDetails(row.ToInfo(), Times.Utc(row.CreatedAt), comments, starred, access.Level, tags, tagCount, row.MirrorSource);
    }

    private async Task<List<TagInfo>> TagsAsync(long repositoryId, int skip, int take, CancellationToken cancellationToken)
    {
        var tags = await db.TagSummaries.AsNoTracking()
            .Where(t => t.RepositoryId == repositoryId)
            .OrderByDescending(t => t.PushedAt).ThenBy(t => t.Tag)
            .Skip(skip).Take(take)
            .ToListAsync(cancellationToken);
        return tags.Select(t => new TagInfo(t.Tag, t.Digest, t.MediaType, t.Size, Times.Utc(t.PushedAt), t.Platforms)).ToList();
    }
}
