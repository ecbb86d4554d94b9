using Berth.Data;
using Berth.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace Berth.Index.Webhooks;

/// <summary>
/// The webhooks' side of the <see cref="WebhookEvent"/> feed: each webhook reads the events of its repository (or
/// namespace) past its <see cref="Webhook.EventCursor"/> and queues a <see cref="WebhookDelivery"/> for each it
/// subscribes to, a window at a time, so a receiver that is down or slow holds a bounded queue and the feed keeps the
/// rest (one row per event, not one per webhook).
/// </summary>
public sealed class WebhookFeed(BerthDbContext db, TimeProvider time)
{
    /// <summary>Where a webhook created or enabled now starts: after the newest event (0 when none is kept).</summary>
    public async Task<long> NewestAsync(CancellationToken cancellationToken) =>
        await db.WebhookEvents.MaxAsync(e => (long?)e.Id, cancellationToken) ?? 0;

    /// <summary>
    /// Queues deliveries for at most <paramref name="room"/> of the webhook's next events, in order, and moves its
    /// cursor past them in the same transaction. Only from the cursor <paramref name="webhook"/> was read with (it is
    /// not changed): a concurrent reader (another node, or an enable that moved the cursor) that moved it first wins,
    /// and this one queues nothing, so no event is queued twice. Returns the deliveries queued.
    /// </summary>
    public async Task<int> QueueAsync(Webhook webhook, int room, CancellationToken cancellationToken)
    {
        var (webhookId, cursor, namespaceId) = (webhook.Id, webhook.EventCursor, webhook.NamespaceId);
        var subscribed = WebhookValidation.ParseEvents(webhook.Events);
        var scope = webhook.RepositoryId is { } repositoryId
            ? db.WebhookEvents.Where(e => e.RepositoryId == repositoryId)
            : db.WebhookEvents.Where(e => e.NamespaceId == namespaceId);
        var events = await scope
            .Where(e => e.Id > cursor)
            .OrderBy(e => e.Id)
            .Take(room)
            .Select(e => new { e.Id, e.EventType, e.Payload, e.CreatedAt })
            .ToListAsync(cancellationToken);
        if (events.Count == 0)
        {
            return 0;
        }

        var now = time.GetUtcNow().UtcDateTime;
        var rows = events
            .Where(e => subscribed.Contains(e.EventType))
            .Select(e => new WebhookDelivery
            {
                WebhookId = webhookId,
                MessageId = WebhookMessageIds.New(),
                EventType = e.EventType,
                Payload = e.Payload,

                // When it happened: the retry window runs from there, and the log shows it.
                CreatedAt = e.CreatedAt,
                State = WebhookDeliveryState.Pending,
                NextAttemptAt = now,
            })
            .ToList();
        var last = events[^1].Id;

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var moved = await db.Webhooks
            .Where(w => w.Id == webhookId && w.Enabled && w.EventCursor == cursor)
            .ExecuteUpdateAsync(w => w.SetProperty(x => x.EventCursor, last), cancellationToken);
        if (moved != 1)
        {
            return 0;
        }

        db.WebhookDeliveries.AddRange(rows);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return rows.Count;
    }

    /// <summary>
    /// Deletes up to <paramref name="batch"/> events that every enabled webhook of their scope has read (a disabled one
    /// starts after the newest event when enabled again, and a deleted one reads nothing).
    /// </summary>
    public async Task<int> PruneAsync(int batch, CancellationToken cancellationToken)
    {
        var read = db.WebhookEvents.Where(e => !db.Webhooks.Any(w => w.Enabled && w.EventCursor < e.Id
            && ((w.RepositoryId != null && w.RepositoryId == e.RepositoryId) || (w.NamespaceId != null && w.NamespaceId == e.NamespaceId))));
        var ids = await read.OrderBy(e => e.Id).Select(e => e.Id).Take(batch).ToListAsync(cancellationToken);
        return ids.Count == 0 ? 0 : await db.WebhookEvents.Where(e => ids.Contains(e.Id)).ExecuteDeleteAsync(cancellationToken);
    }
}
