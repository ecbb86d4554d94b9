namespace Berth.Data.Entities;

/// <summary>
/// Requests a rate limit admitted for one key (policy and client address) across the cluster, in fixed windows: the
/// current window's count and the one before it (for a sliding estimate). Nodes add their local counts in batches.
/// </summary>
public sealed class RateLimitWindowRecord
{
    /// <summary>E.g. <c>token|203.0.113.9</c>.</summary>
    public required string Key { get; set; }

    /// <summary>The current window's number: Unix milliseconds divided by the window's length.</summary>
    public long Window { get; set; }

    public long Count { get; set; }

    public long PreviousCount { get; set; }

    /// <summary>After this the row counts for nothing and is deleted.</summary>
    public DateTime Expires { get; set; }
}
