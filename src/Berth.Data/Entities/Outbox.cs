namespace Berth.Data.Entities;

/// <summary>
/// A registry event written in the same transaction as the change it describes (the outbox). Delivered to every
/// subscriber in <see cref="Id"/> order, so order is kept per repository; consumers deduplicate by <see cref="EventId"/>.
/// </summary>
public sealed class OutboxEvent
{
    /// <summary>Position in the feed (database-assigned, increasing).</summary>
    public long Id { get; set; }

    /// <summary>The id consumers see and deduplicate by (unique).</summary>
    public required string EventId { get; set; }

    public required string Repository { get; set; }

    /// <summary>push, delete, pull, … (Distribution's notification actions).</summary>
    public required string Action { get; set; }

    /// <summary>The event as JSON.</summary>
    public required string Payload { get; set; }

    public DateTime CreatedAt { get; set; }
}

/// <summary>How far one subscriber of the outbox has got, and when it may try again after a failure.</summary>
public sealed class OutboxCursor
{
    public required string Subscriber { get; set; }

    /// <summary>The <see cref="OutboxEvent.Id"/> of the last event delivered (0: none yet).</summary>
    public long Position { get; set; }

    public int Attempts { get; set; }

    public DateTime? NextAttemptAt { get; set; }

    public string? LastError { get; set; }

    /// <summary>The node delivering for this subscriber now, so that one node at a time does.</summary>
    public string? LeaseOwner { get; set; }

    public DateTime? LeaseUntil { get; set; }
}
