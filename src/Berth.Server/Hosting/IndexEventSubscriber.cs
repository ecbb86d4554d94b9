using Berth.Data.Events;
using Berth.Index.Events;
using Berth.Registry.Events;

namespace Berth.Server.Hosting;

/// <summary>
/// All-in-one: the outbox applied to the index's records in this process, each event once (its id is recorded in
/// <c>received_events</c> in the same transaction, so a batch delivered again after a crash changes nothing), a batch
/// in one transaction.
/// </summary>
internal sealed class IndexEventSubscriber(IServiceScopeFactory scopes) : IOutboxSubscriber
{
    public string Name => "index";

    public async Task<Delivery> DeliverAsync(IReadOnlyList<RegistryEvent> events, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<RegistryEventReceiver>().ApplyAllOnceAsync(events, cancellationToken);
        return Delivery.Delivered;
    }
}
