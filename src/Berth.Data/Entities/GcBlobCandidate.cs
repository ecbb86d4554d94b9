namespace Berth.Data.Entities;

/// <summary>
/// A blob that may have lost its last reference (a manifest or link removed, a repository deleted, an upload
/// completed), queued for garbage collection. One row per digest: a later change only moves <see cref="QueuedAt"/>.
/// The collector reviews it once <see cref="QueuedAt"/> + the grace period has passed.
/// </summary>
public sealed class GcBlobCandidate
{
    public required string Digest { get; set; }

    /// <summary>When the last change that made the blob a candidate committed; the grace period counts from here.</summary>
    public DateTime QueuedAt { get; set; }

    /// <summary>
    /// Set, in the transaction that removed the blob's row, when the collector found it unreferenced: its storage object
    /// is to be deleted, then this row. While it is set no upload may publish the digest (it waits), and a pass that
    /// finds it old (its collector died between the two steps) finishes the deletion.
    /// </summary>
    public DateTime? DeletingSince { get; set; }

    /// <summary>The blob's size, recorded with <see cref="DeletingSince"/> for the run's report.</summary>
    public long Size { get; set; }
}
