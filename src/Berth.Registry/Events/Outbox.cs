using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Data;
using Berth.Data.Entities;
using Berth.Data.Events;

namespace Berth.Registry.Events;

/// <summary>
/// Writing events into the outbox (<c>outbox_events</c>) and reading them back. A writer adds the row to the same
/// <see cref="BerthDbContext"/> as the change it describes, so both are committed by one <c>SaveChanges</c> or
/// transaction, or neither is.
/// </summary>
public static class Outbox
{
    /// <summary>A fresh event id: what consumers deduplicate by.</summary>
    public static string NewEventId() => Guid.NewGuid().ToString("N");

    /// <summary>Adds <paramref name="registryEvent"/> to the outbox; the caller's next save commits it with its change.</summary>
    public static void AddOutboxEvent(this BerthDbContext db, RegistryEvent registryEvent) =>
        db.OutboxEvents.Add(new OutboxEvent
        {
            EventId = registryEvent.Id,
            Repository = registryEvent.Repository,
            Action = registryEvent.Action,
            Payload = JsonSerializer.Serialize(registryEvent, OutboxJson.Default.RegistryEvent),
            CreatedAt = registryEvent.Timestamp,
        });

    /// <summary>The event a row holds.</summary>
    public static RegistryEvent ToRegistryEvent(this OutboxEvent row) =>
        JsonSerializer.Deserialize(row.Payload, OutboxJson.Default.RegistryEvent)
        ?? throw new JsonException($"outbox event {row.Id} holds no event");
}

/// <summary>Source-generated JSON for outbox payloads: no reflection on the push path.</summary>
[JsonSerializable(typeof(RegistryEvent))]
internal sealed partial class OutboxJson : JsonSerializerContext;
