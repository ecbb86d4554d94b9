using Berth.Data.Events;

namespace Berth.Registry.Events;

/// <summary>
/// One consumer of the outbox, with its own durable cursor (<c>outbox_cursors</c>, keyed by <see cref="Name"/>).
/// Delivery is at least once: a batch may come again after a crash or a failed attempt, so a subscriber must be
/// idempotent by <see cref="RegistryEvent.Id"/>.
/// </summary>
public interface IOutboxSubscriber
{
    /// <summary>The cursor's key; stable across releases (renaming it starts delivery over from the oldest event kept).</summary>
    string Name { get; }

    /// <summary>Delivers <paramref name="events"/> (in feed order); the outcome says whether they all arrived.</summary>
    Task<Delivery> DeliverAsync(IReadOnlyList<RegistryEvent> events, CancellationToken cancellationToken);
}

/// <summary>The outcome of one delivery: <see cref="Error"/> is null when the batch arrived.</summary>
public sealed record Delivery(string? Error)
{
    public static readonly Delivery Delivered = new((string?)null);

    public bool IsDelivered => Error is null;

    public static Delivery Failed(string error) => new(error);
}
