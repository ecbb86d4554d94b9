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
        var now = time.GetUtcNow().UtcDateTime;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
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
            // Matched before the change: a repository deleted by it still has its webhooks, one created by it has none yet.
            var targets = await webhooks.MatchAsync(e.Repository, cancellationToken);
            await records.ApplyAsync(e, cancellationToken);
            webhooks.AddRegistryEvent(targets, e);
            if (!targets.IsEmpty)
            {
                await db.SaveChangesAsync(cancellationToken);
            }
        }

        if (e.Action == RegistryActions.Push && registryUrl is not null)
        {
            await RecordHolderAsync(registryUrl, e.Repository, now, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        webhooks.Notify();
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
