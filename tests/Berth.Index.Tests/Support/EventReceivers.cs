using Berth.Data;
using Berth.Index.Events;
using Berth.Index.Permissions;
using Berth.Index.Webhooks;

namespace Berth.Index.Tests.Support;

/// <summary>The index's receiver of registry events over one context, wired as the server wires it (also linked into Berth.Postgres.Tests).</summary>
internal static class EventReceivers
{
    public static RegistryEventReceiver Over(BerthDbContext db)
    {
        var options = new IndexOptions();
        var fanout = new WebhookFanout(db, new WebhookLinks("http://registry.test"), new WebhookSignal(), options, TimeProvider.System);
        return new RegistryEventReceiver(db, new IndexRecords(db, options, new PermissionService(db)), fanout, TimeProvider.System);
    }
}
