using Berth.Data.Entities;

namespace Berth.Index.Webhooks;

/// <summary>A new webhook. <see cref="Events"/> null subscribes to every <see cref="WebhookEventTypes.Subscribable"/> type.</summary>
public sealed record WebhookSettings(string Url, IReadOnlyList<string>? Events, bool Enabled, string? Description);

/// <summary>Changes to a webhook; null leaves a field as it is, an empty description clears it.</summary>
public sealed record WebhookChanges(string? Url, IReadOnlyList<string>? Events, bool? Enabled, string? Description);

/// <summary>A webhook as its admins see it: everything but the secret.</summary>
public sealed record WebhookInfo(
    long Id,
    string Url,
    IReadOnlyList<string> Events,
    bool Enabled,
    string? Description,
    DateTime CreatedAt,
    string? CreatedBy,
    DateTime UpdatedAt,
    DateTime? FailingSince,
    string? DisabledReason,
    DateTime? DisabledAt);

/// <summary>The two answers that carry the secret: creation and rotation.</summary>
public sealed record WebhookWithSecret(WebhookInfo Webhook, string Secret);

/// <summary>One delivery in the log; <see cref="LastStatusCode"/> is the receiver's answer to the latest attempt.</summary>
public sealed record WebhookDeliveryInfo(
    long Id,
    string MessageId,
    string EventType,
    WebhookDeliveryState State,
    int Attempts,
    DateTime CreatedAt,
    DateTime? CompletedAt,
    DateTime? NextAttemptAt,
    int? LastStatusCode,
    long? RedeliveryOf);

public sealed record WebhookAttemptInfo(DateTime At, int? StatusCode, int DurationMs, string? ResponseExcerpt, string? Error);

/// <summary>One delivery with the body it sends and every attempt, oldest first.</summary>
public sealed record WebhookDeliveryDetails(WebhookDeliveryInfo Delivery, string Payload, IReadOnlyList<WebhookAttemptInfo> Attempts);
