using Berth.Data.Events;

namespace Berth.Index.Webhooks;

/// <summary>Wakes the webhook delivery worker when this process commits deliveries.</summary>
public sealed class WebhookSignal : CommitSignal;
