using Berth.Data;
using Berth.Data.Entities;
using Berth.Index.Accounts;
using Berth.Index.Audit;
using Berth.Index.Permissions;
using Berth.Index.Repositories;
using Microsoft.EntityFrameworkCore;

namespace Berth.Index.Webhooks;

internal sealed class WebhookService(BerthDbContext db, AdministeredScopes scopes, IAuditLog audit, TimeProvider time, IWebhookUrlGuard urlGuard, WebhookFeed feed) : IWebhookService
{
    public async Task<Outcome<WebhookWithSecret>> CreateAsync(Principal caller, WebhookScope scope, WebhookSettings settings, CancellationToken cancellationToken)
    {
        var owner = await AdministeredAsync(caller, scope, cancellationToken);
        if (!owner.IsSuccess)
        {
            return owner.Error;
        }

        var events = WebhookValidation.Events(settings.Events);
        if (!events.IsSuccess)
        {
            return events.Error;
        }

        if ((WebhookValidation.Url(settings.Url) ?? WebhookValidation.Description(settings.Description)) is { } invalid)
        {
            return invalid;
        }

        if (await urlGuard.CheckAsync(settings.Url, cancellationToken) is { } refused)
        {
            return IndexError.Invalid(refused);
        }

        var now = time.GetUtcNow().UtcDateTime;
        var webhook = new Webhook
        {
            RepositoryId = owner.Value.RepositoryId,
            NamespaceId = owner.Value.RepositoryId is null ? owner.Value.NamespaceId : null,
            Url = settings.Url,
            Events = events.Value,
            Enabled = settings.Enabled,
            Secret = WebhookSecrets.Create(),
            Description = string.IsNullOrEmpty(settings.Description) ? null : settings.Description,
            CreatedAt = now,
            CreatedBy = caller.Name,
            UpdatedAt = now,
        };

        // Count and insert in one write transaction, one writer at a time on both databases (SQLite begins it
        // IMMEDIATE; SerializedTransactions gives PostgreSQL the same), so parallel creates cannot all pass the count.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await InScope(owner.Value).CountAsync(cancellationToken) >= WebhookScope.MaxWebhooks)
        {
            return IndexError.Conflict($"{owner.Value.Label} already has {WebhookScope.MaxWebhooks} webhooks, the most one repository or namespace may have");
        }

        // In the same write transaction: the first event it hears of is the first committed after it.
        webhook.EventCursor = await feed.NewestAsync(cancellationToken);
        db.Webhooks.Add(webhook);
        await db.SaveChangesAsync(cancellationToken);
        audit.Add(caller.Name, AuditActions.WebhookCreated, owner.Value.Label, Describe(webhook));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new WebhookWithSecret(ToInfo(webhook), webhook.Secret);
    }

    public async Task<Outcome<IReadOnlyList<WebhookInfo>>> ListAsync(Principal caller, WebhookScope scope, CancellationToken cancellationToken)
    {
        var owner = await AdministeredAsync(caller, scope, cancellationToken);
        if (!owner.IsSuccess)
        {
            return owner.Error;
        }

        var webhooks = await InScope(owner.Value).AsNoTracking().OrderBy(w => w.Id).ToListAsync(cancellationToken);
        return webhooks.Select(ToInfo).ToList();
    }

    public async Task<Outcome<WebhookInfo>> GetAsync(Principal caller, WebhookScope scope, long id, CancellationToken cancellationToken)
    {
        var found = await FindWebhookAsync(caller, scope, id, cancellationToken);
        return found.IsSuccess ? ToInfo(found.Value) : found.Error;
    }

    public async Task<Outcome<WebhookInfo>> UpdateAsync(Principal caller, WebhookScope scope, long id, WebhookChanges changes, CancellationToken cancellationToken)
    {
        var found = await TrackedAsync(caller, scope, id, cancellationToken);
        if (!found.IsSuccess)
        {
            return found.Error;
        }

        var (webhook, label) = found.Value;
        var changed = new List<string>();
        if (changes.Url is { } url)
        {
            if (WebhookValidation.Url(url) is { } invalid)
            {
                return invalid;
            }

            if (await urlGuard.CheckAsync(url, cancellationToken) is { } refused)
            {
                return IndexError.Invalid(refused);
            }

            webhook.Url = url;
            changed.Add($"url {url}");
        }

        if (changes.Events is not null)
        {
            var events = WebhookValidation.Events(changes.Events);
            if (!events.IsSuccess)
            {
                return events.Error;
            }

            webhook.Events = events.Value;
            changed.Add($"events {events.Value}");
        }

        if (changes.Description is { } description)
        {
            if (WebhookValidation.Description(description) is { } invalid)
            {
                return invalid;
            }

            webhook.Description = description.Length == 0 ? null : description;
            changed.Add("description");
        }

        if (changes.Enabled is { } enabled)
        {
            if (enabled && !webhook.Enabled)
            {
                // A fresh start: whatever Berth disabled it for is the owner's to have fixed, and it hears of what
                // happens from now on (what happened while it was disabled, or it had not queued yet, is not sent).
                webhook.DisabledReason = null;
                webhook.DisabledAt = null;
                webhook.FailingSince = null;
                webhook.EventCursor = Math.Max(webhook.EventCursor, await feed.NewestAsync(cancellationToken));
            }

            webhook.Enabled = enabled;
            changed.Add(enabled ? "enabled" : "disabled");
        }

        if (changed.Count == 0)
        {
            return ToInfo(webhook);
        }

        webhook.UpdatedAt = time.GetUtcNow().UtcDateTime;
        audit.Add(caller.Name, AuditActions.WebhookUpdated, label, $"webhook {webhook.Id}: {string.Join(", ", changed)}");
        await db.SaveChangesAsync(cancellationToken);
        return ToInfo(webhook);
    }

    public async Task<Outcome<bool>> DeleteAsync(Principal caller, WebhookScope scope, long id, CancellationToken cancellationToken)
    {
        var found = await TrackedAsync(caller, scope, id, cancellationToken);
        if (!found.IsSuccess)
        {
            return found.Error;
        }

        var (webhook, label) = found.Value;

        // The database cascades its deliveries and their attempts.
        db.Webhooks.Remove(webhook);
        audit.Add(caller.Name, AuditActions.WebhookDeleted, label, Describe(webhook));
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    public async Task<Outcome<WebhookWithSecret>> RotateSecretAsync(Principal caller, WebhookScope scope, long id, CancellationToken cancellationToken)
    {
        var found = await TrackedAsync(caller, scope, id, cancellationToken);
        if (!found.IsSuccess)
        {
            return found.Error;
        }

        var (webhook, label) = found.Value;
        webhook.Secret = WebhookSecrets.Create();
        webhook.UpdatedAt = time.GetUtcNow().UtcDateTime;
        audit.Add(caller.Name, AuditActions.WebhookSecretRotated, label, Describe(webhook));
        await db.SaveChangesAsync(cancellationToken);
        return new WebhookWithSecret(ToInfo(webhook), webhook.Secret);
    }

    public async Task<Outcome<IReadOnlyList<WebhookDeliveryInfo>>> ListDeliveriesAsync(
        Principal caller, WebhookScope scope, long id, PageRequest page, CancellationToken cancellationToken)
    {
        var found = await FindWebhookAsync(caller, scope, id, cancellationToken);
        if (!found.IsSuccess)
        {
            return found.Error;
        }

        var deliveries = await Deliveries(db.WebhookDeliveries.Where(d => d.WebhookId == id))
            .OrderByDescending(d => d.Id).Skip(page.Skip).Take(page.Size).ToListAsync(cancellationToken);
        return deliveries.Select(ToInfo).ToList();
    }

    public async Task<Outcome<WebhookDeliveryDetails>> GetDeliveryAsync(Principal caller, WebhookScope scope, long id, long deliveryId, CancellationToken cancellationToken)
    {
        var found = await FindWebhookAsync(caller, scope, id, cancellationToken);
        if (!found.IsSuccess)
        {
            return found.Error;
        }

        var row = await Deliveries(db.WebhookDeliveries.Where(d => d.Id == deliveryId && d.WebhookId == id)).FirstOrDefaultAsync(cancellationToken);
        if (row is null)
        {
            return DeliveryNotFound(id, deliveryId);
        }

        var payload = await db.WebhookDeliveries.Where(d => d.Id == deliveryId).Select(d => d.Payload).FirstAsync(cancellationToken);
        var attempts = await db.WebhookAttempts.AsNoTracking().Where(a => a.DeliveryId == deliveryId).OrderBy(a => a.Id)
            .Select(a => new { a.At, a.StatusCode, a.DurationMs, a.ResponseExcerpt, a.Error })
            .ToListAsync(cancellationToken);
        return new WebhookDeliveryDetails(
            ToInfo(row), payload, attempts.Select(a => new WebhookAttemptInfo(Times.Utc(a.At), a.StatusCode, a.DurationMs, a.ResponseExcerpt, a.Error)).ToList());
    }

    public async Task<Outcome<Webhook>> FindWebhookAsync(Principal caller, WebhookScope scope, long id, CancellationToken cancellationToken)
    {
        var owner = await AdministeredAsync(caller, scope, cancellationToken);
        if (!owner.IsSuccess)
        {
            return owner.Error;
        }

        var webhook = await InScope(owner.Value).AsNoTracking().FirstOrDefaultAsync(w => w.Id == id, cancellationToken);
        return webhook is null ? NotFound(id) : webhook;
    }

    public async Task<Outcome<WebhookDelivery>> FindDeliveryAsync(Principal caller, WebhookScope scope, long id, long deliveryId, CancellationToken cancellationToken)
    {
        var found = await FindWebhookAsync(caller, scope, id, cancellationToken);
        if (!found.IsSuccess)
        {
            return found.Error;
        }

        var delivery = await db.WebhookDeliveries.AsNoTracking().FirstOrDefaultAsync(d => d.Id == deliveryId && d.WebhookId == id, cancellationToken);
        return delivery is null ? DeliveryNotFound(id, deliveryId) : delivery;
    }

    /// <summary>Who owns the scope's webhooks, if the caller administers it: the one check every operation starts with.</summary>
    private Task<Outcome<AdministeredScope>> AdministeredAsync(Principal caller, WebhookScope scope, CancellationToken cancellationToken) =>
        scopes.RequireAsync(caller, scope, "webhooks", cancellationToken);

    private async Task<Outcome<(Webhook Webhook, string Label)>> TrackedAsync(Principal caller, WebhookScope scope, long id, CancellationToken cancellationToken)
    {
        var owner = await AdministeredAsync(caller, scope, cancellationToken);
        if (!owner.IsSuccess)
        {
            return owner.Error;
        }

        var webhook = await InScope(owner.Value).FirstOrDefaultAsync(w => w.Id == id, cancellationToken);
        return webhook is null ? NotFound(id) : (webhook, owner.Value.Label);
    }

    /// <summary>The scope's webhooks. Ids are global, so every lookup by id goes through here.</summary>
    private IQueryable<Webhook> InScope(AdministeredScope owner) =>
        owner.RepositoryId is { } repositoryId
            ? db.Webhooks.Where(w => w.RepositoryId == repositoryId)
            : db.Webhooks.Where(w => w.RepositoryId == null && w.NamespaceId == owner.NamespaceId);

    private IQueryable<DeliveryRow> Deliveries(IQueryable<WebhookDelivery> deliveries) =>
        deliveries.Select(d => new DeliveryRow
        {
            Id = d.Id,
            MessageId = d.MessageId,
            EventType = d.EventType,
            State = d.State,
            Attempts = d.Attempts,
            CreatedAt = d.CreatedAt,
            CompletedAt = d.CompletedAt,
            NextAttemptAt = d.NextAttemptAt,
            RedeliveryOf = d.RedeliveryOf,
            LastStatusCode = db.WebhookAttempts.Where(a => a.DeliveryId == d.Id).OrderByDescending(a => a.Id).Select(a => a.StatusCode).FirstOrDefault(),
        });

    private static WebhookInfo ToInfo(Webhook w) => new(
        w.Id, w.Url, WebhookValidation.ParseEvents(w.Events), w.Enabled, w.Description, Times.Utc(w.CreatedAt), w.CreatedBy, Times.Utc(w.UpdatedAt),
        Times.Utc(w.FailingSince), w.DisabledReason, Times.Utc(w.DisabledAt));

    private static WebhookDeliveryInfo ToInfo(DeliveryRow d) => new(
        d.Id, d.MessageId, d.EventType, d.State, d.Attempts, Times.Utc(d.CreatedAt), Times.Utc(d.CompletedAt), Times.Utc(d.NextAttemptAt), d.LastStatusCode, d.RedeliveryOf);

    private static string Describe(Webhook w) => $"webhook {w.Id}: {w.Url}";

    private static IndexError NotFound(long id) => IndexError.NotFound($"webhook {id}");

    private static IndexError DeliveryNotFound(long id, long deliveryId) => IndexError.NotFound($"delivery {deliveryId} of webhook {id}");

    private sealed class DeliveryRow
    {
        public long Id { get; init; }

        public required string MessageId { get; init; }

        public required string EventType { get; init; }

        public WebhookDeliveryState State { get; init; }

        public int Attempts { get; init; }

        public DateTime CreatedAt { get; init; }

        public DateTime? CompletedAt { get; init; }

        public DateTime? NextAttemptAt { get; init; }

        public long? RedeliveryOf { get; init; }

        public int? LastStatusCode { get; init; }
    }
}
