using Berth.Data.Entities;

namespace Berth.Index.Webhooks;

/// <summary>
/// Queues deliveries a webhook's admin asks for. Both add a <see cref="WebhookDelivery"/> at the end of the webhook's
/// queue and save it, then wake the delivery worker.
/// </summary>
public interface IWebhookQueue
{
    /// <summary>A <c>ping</c> delivery, whatever event types the webhook subscribes to.</summary>
    Task<WebhookDelivery> PingAsync(Webhook webhook, string? actor, CancellationToken cancellationToken);

    /// <summary>The same payload and message id as <paramref name="delivery"/> again, as a new delivery.</summary>
    Task<WebhookDelivery> RedeliverAsync(WebhookDelivery delivery, CancellationToken cancellationToken);
}
