namespace Berth.Data.Entities;

/// <summary>
/// Where the events of one repository, or of every repository in one namespace (an organisation's or a user's), are
/// POSTed. Exactly one of <see cref="RepositoryId"/> and <see cref="NamespaceId"/> is set. Deleting the repository
/// or namespace deletes its webhooks and their delivery log.
/// </summary>
public sealed class Webhook
{
    public const int MaxUrlLength = 2048;

    public long Id { get; set; }

    public long? RepositoryId { get; set; }

    public long? NamespaceId { get; set; }

    public required string Url { get; set; }

    /// <summary>The event types it receives, comma-separated, as the API names them.</summary>
    public required string Events { get; set; }

    public bool Enabled { get; set; } = true;

    /// <summary>
    /// The signing secret as handed out once at creation (<c>whsec_</c> + base64 of the key, as Standard Webhooks).
    /// Kept readable because every delivery is signed with it.
    /// </summary>
    public required string Secret { get; set; }

    public string? Description { get; set; }

    public DateTime CreatedAt { get; set; }

    public string? CreatedBy { get; set; }

    public DateTime UpdatedAt { get; set; }

    /// <summary>When the current run of failed attempts began; null once an attempt succeeds.</summary>
    public DateTime? FailingSince { get; set; }

    /// <summary>Why Berth disabled it (failing since …, last error); null when enabled, or disabled by an admin.</summary>
    public string? DisabledReason { get; set; }

    public DateTime? DisabledAt { get; set; }

    /// <summary>The node delivering for this webhook now, so that one delivery at a time is in flight.</summary>
    public string? LeaseOwner { get; set; }

    public DateTime? LeaseUntil { get; set; }

    /// <summary>
    /// The <see cref="WebhookEvent.Id"/> of the last event this webhook has queued deliveries for (or skipped as not
    /// subscribed): set to the newest event when it is created or enabled, so it hears only of what happens after.
    /// </summary>
    public long EventCursor { get; set; }
}

public enum WebhookDeliveryState
{
    Pending = 0,
    Delivered = 1,

    /// <summary>Given up after retrying for the retry window, or while the webhook was disabled.</summary>
    Failed = 2,
}

/// <summary>
/// One event for one webhook, queued from the <see cref="WebhookEvent"/> feed by the delivery worker (or by a ping or a
/// redelivery), and delivered in <see cref="Id"/> order per webhook, one at a time.
/// </summary>
public sealed class WebhookDelivery
{
    public long Id { get; set; }

    public long WebhookId { get; set; }

    /// <summary>
    /// The Standard Webhooks message id (<c>webhook-id</c>): unique per event and webhook, kept by a manual
    /// redelivery, so receivers can deduplicate by it.
    /// </summary>
    public required string MessageId { get; set; }

    public required string EventType { get; set; }

    /// <summary>The JSON body, exactly as signed and sent.</summary>
    public required string Payload { get; set; }

    public DateTime CreatedAt { get; set; }

    public WebhookDeliveryState State { get; set; }

    public int Attempts { get; set; }

    public DateTime? NextAttemptAt { get; set; }

    public DateTime? CompletedAt { get; set; }

    /// <summary>The delivery a manual redelivery repeats; null for an original.</summary>
    public long? RedeliveryOf { get; set; }
}

/// <summary>One HTTP attempt of a <see cref="WebhookDelivery"/>: the delivery log.</summary>
public sealed class WebhookAttempt
{
    public const int MaxResponseExcerpt = 1024;
    public const int MaxError = 1000;

    public long Id { get; set; }

    public long DeliveryId { get; set; }

    public DateTime At { get; set; }

    /// <summary>The receiver's status code; null when no answer came (refused, timed out, blocked by the SSRF guard).</summary>
    public int? StatusCode { get; set; }

    public int DurationMs { get; set; }

    public string? ResponseExcerpt { get; set; }

    public string? Error { get; set; }
}

/// <summary>
/// One event that webhooks listen for, written in the same transaction as the change it tells of: one row however many
/// webhooks hear of it (the webhooks' outbox). Each webhook reads the feed from its own <see cref="Webhook.EventCursor"/>
/// and queues a <see cref="WebhookDelivery"/> for what it subscribes to; a row read by every webhook of its scope is
/// pruned. Ids become visible in id order (one writer at a time on SQLite, an advisory lock on PostgreSQL).
/// </summary>
public sealed class WebhookEvent
{
    public long Id { get; set; }

    /// <summary>The repository's id; null for a repository created by this event (it had no webhooks) or deleted by it.</summary>
    public long? RepositoryId { get; set; }

    /// <summary>The repository's namespace's id; null when it has none.</summary>
    public long? NamespaceId { get; set; }

    public required string EventType { get; set; }

    /// <summary>The JSON body, exactly as signed and sent to each webhook.</summary>
    public required string Payload { get; set; }

    public DateTime CreatedAt { get; set; }
}
