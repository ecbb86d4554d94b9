using System.Text.Json;
using Berth.Data;
using Berth.Data.Entities;

namespace Berth.Index.Webhooks;

internal sealed class WebhookQueue(BerthDbContext db, WebhookSignal signal, TimeProvider time) : IWebhookQueue
{
    public async Task<WebhookDelivery> PingAsync(Webhook webhook, string? actor, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var payload = new WebhookPayload(WebhookEventTypes.Ping, now, new WebhookEventData { WebhookId = webhook.Id, Actor = actor, Time = now });
        var delivery = new WebhookDelivery
        {
            WebhookId = webhook.Id,
            MessageId = WebhookMessageIds.New(),
            EventType = WebhookEventTypes.Ping,
            Payload = JsonSerializer.Serialize(payload, WebhookJson.Default.WebhookPayload),
            CreatedAt = now,
            State = WebhookDeliveryState.Pending,
            NextAttemptAt = now,
        };
        return await EnqueueAsync(delivery, cancellationToken);
    }

    public Task<WebhookDelivery> RedeliverAsync(WebhookDelivery delivery, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return EnqueueAsync(
            new WebhookDelivery
            {
                WebhookId = delivery.WebhookId,
                MessageId = delivery.MessageId,
                EventType = delivery.EventType,
                Payload = delivery.Payload,
                CreatedAt = now,
                State = WebhookDeliveryState.Pending,
                NextAttemptAt = now,
                RedeliveryOf = delivery.RedeliveryOf ?? delivery.Id,
            },
            cancellationToken);
    }

    private async Task<WebhookDelivery> EnqueueAsync(WebhookDelivery delivery, CancellationToken cancellationToken)
    {
        db.WebhookDeliveries.Add(delivery);
        await db.SaveChangesAsync(cancellationToken);
        signal.Notify();
        return delivery;
    }
}
