namespace Berth.Data.Entities;

/// <summary>
/// Failed credential checks counted per key (a source address, or a source address and an account), in the database
/// so that every node and a restart see the same count. Rows past their window are deleted, never the table whole.
/// </summary>
public sealed class LoginThrottleRecord
{
    /// <summary>E.g. <c>a:203.0.113.9</c> or <c>u:203.0.113.9|alice</c>.</summary>
    public required string Key { get; set; }

    public int Failures { get; set; }

    public DateTime WindowStart { get; set; }

    /// <summary>Set while the key is refused without checking credentials.</summary>
    public DateTime? BlockedUntil { get; set; }
}

/// <summary>An event id a signed feed has applied: a replay is recognised after a restart and on any node.</summary>
public sealed class ReceivedEvent
{
    public required string Id { get; set; }

    public DateTime ReceivedAt { get; set; }
}
