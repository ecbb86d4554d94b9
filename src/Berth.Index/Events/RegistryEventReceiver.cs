using Berth.Data;
using Berth.Data.Entities;
using Berth.Data.Events;
using Berth.Index.Webhooks;
using Microsoft.EntityFrameworkCore;

namespace Berth.Index.Events;

/// <summary>
/// The index's side of the registry's events (a separate registry's over HTTP, or this process's outbox): each is
/// applied at most once, with its id recorded in the same transaction, and a push also records which registry holds
/// the repository (so a repository delete reaches it).
/// </summary>
public sealed class RegistryEventReceiver(BerthDbContext db, IndexRecords records, WebhookFanout webhooks, TimeProvider time)
{
    /// <summary>Applies <paramref name="e"/> unless its id was applied before; false for a replay (nothing changed).</summary>
    /// <param name="registryUrl">The reporting registry's normalised base URL, if it gave one.</param>
    public async Task<bool> ApplyOnceAsync(RegistryEvent e, string? registryUrl, CancellationToken cancellationToken)
    {
        var targets = await webhooks.MatchBeforeAsync([e], cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var applied = await ApplyAsync(e, targets[0], registryUrl, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        webhooks.Notify();
        return applied;
    }

    /// <summary>
    /// Applies <paramref name="events"/> in order, each unless applied before, in one transaction: a burst of pushes
    /// costs the index one commit (one turn of the database's write lock, which pushes wait for) instead of one per
    /// event. All or nothing: after a failure the batch is delivered again and what was applied is skipped by id.
    /// The webhooks are matched before the transaction, once per repository of the batch: under the write lock, a
    /// match per event held up the pushes (see <see cref="WebhookFanout.MatchBeforeAsync"/>).
    /// </summary>
    public async Task ApplyAllOnceAsync(IReadOnlyList<RegistryEvent> events, CancellationToken cancellationToken)
    {
        var targets = await webhooks.MatchBeforeAsync(events, cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        for (var i = 0; i < events.Count; i++)
        {
            await ApplyAsync(events[i], targets[i], null, cancellationToken);

            // Saved (in the transaction): the next event's SaveChanges need not look at this one's entities again.
            db.ChangeTracker.Clear();
        }

        await transaction.CommitAsync(cancellationToken);
        webhooks.Notify();
    }

    private async Task<bool> ApplyAsync(RegistryEvent e, WebhookTargets targets, string? registryUrl, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (!await db.TryRecordReceivedAsync(e.Id, now, cancellationToken))
        {
            return false;
        }

        if (e.Action == RegistryActions.Pull)
        {
            await records.AddPullsAsync(e.Repository, e.Count, cancellationToken);
        }
        else
        {
            await records.ApplyAsync(e, cancellationToken);
            await webhooks.AddRegistryEventAsync(targets, e, cancellationToken);
        }

        if (e.Action == RegistryActions.Push && registryUrl is not null)
        {
            await RecordHolderAsync(registryUrl, e.Repository, now, cancellationToken);
        }

        return true;
    }

    private async Task RecordHolderAsync(string registryUrl, string repository, DateTime now, CancellationToken cancellationToken)
    {
        var holder = await db.RegistryRepositories.FirstOrDefaultAsync(r => r.RegistryUrl == registryUrl && r.Repository == repository, cancellationToken);
        if (holder is null)
        {
            db.RegistryRepositories.Add(new RegistryRepository { RegistryUrl = registryUrl, Repository = repository, LastReportedAt = now });
        }
        else
        {
            holder.LastReportedAt = now;
        }

        await db.SaveChangesAsync(cancellationToken);
    }
}
