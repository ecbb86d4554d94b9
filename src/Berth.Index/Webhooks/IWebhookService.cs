using Berth.Data.Entities;
using Berth.Index.Accounts;

namespace Berth.Index.Webhooks;

/// <summary>
/// Managing the webhooks of a repository (its admins), an organisation (its owners) or the caller's own namespace;
/// site admins may manage any. A webhook or delivery id outside the scope named is the same 404 as a missing one,
/// and a repository the caller may not read the same 404 as a missing repository.
/// </summary>
public interface IWebhookService
{
    /// <summary>At most <see cref="WebhookScope.MaxWebhooks"/> per scope; the answer is the only one with the secret (and rotation's).</summary>
    Task<Outcome<WebhookWithSecret>> CreateAsync(Principal caller, WebhookScope scope, WebhookSettings settings, CancellationToken cancellationToken);

    /// <summary>Oldest first.</summary>
    Task<Outcome<IReadOnlyList<WebhookInfo>>> ListAsync(Principal caller, WebhookScope scope, CancellationToken cancellationToken);

    Task<Outcome<WebhookInfo>> GetAsync(Principal caller, WebhookScope scope, long id, CancellationToken cancellationToken);

    /// <summary>Re-enabling a webhook clears why and when it was disabled and its run of failures.</summary>
    Task<Outcome<WebhookInfo>> UpdateAsync(Principal caller, WebhookScope scope, long id, WebhookChanges changes, CancellationToken cancellationToken);

    /// <summary>Deletes the webhook with its deliveries and their attempts.</summary>
    Task<Outcome<bool>> DeleteAsync(Principal caller, WebhookScope scope, long id, CancellationToken cancellationToken);

    /// <summary>A new secret; deliveries sent from now on are signed with it.</summary>
    Task<Outcome<WebhookWithSecret>> RotateSecretAsync(Principal caller, WebhookScope scope, long id, CancellationToken cancellationToken);

    /// <summary>Newest first.</summary>
    Task<Outcome<IReadOnlyList<WebhookDeliveryInfo>>> ListDeliveriesAsync(Principal caller, WebhookScope scope, long id, PageRequest page, CancellationToken cancellationToken);

    Task<Outcome<WebhookDeliveryDetails>> GetDeliveryAsync(Principal caller, WebhookScope scope, long id, long deliveryId, CancellationToken cancellationToken);

    /// <summary>The webhook, for a ping (<see cref="IWebhookQueue.PingAsync"/>); not tracked.</summary>
    Task<Outcome<Webhook>> FindWebhookAsync(Principal caller, WebhookScope scope, long id, CancellationToken cancellationToken);

    /// <summary>The delivery, for a redelivery (<see cref="IWebhookQueue.RedeliverAsync"/>); not tracked.</summary>
    Task<Outcome<WebhookDelivery>> FindDeliveryAsync(Principal caller, WebhookScope scope, long id, long deliveryId, CancellationToken cancellationToken);
}
