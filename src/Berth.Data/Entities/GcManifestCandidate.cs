namespace Berth.Data.Entities;

/// <summary>
/// A manifest that may have become collectable in its repository (untagged, its subject or its index deleted), queued
/// for review once <see cref="QueuedAt"/> + the grace period (or the untagged period) has passed. One row per manifest.
/// </summary>
public sealed class GcManifestCandidate
{
    public long RepositoryId { get; set; }

    public required string Digest { get; set; }

    public DateTime QueuedAt { get; set; }
}
