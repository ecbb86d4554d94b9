namespace Berth.Data.Entities;

/// <summary>
/// An upload in progress. Kept in the database (not in process memory) so it survives a restart and can be
/// continued on any node; its bytes live in the storage driver's upload area until verified.
/// </summary>
public sealed class UploadSession
{
    public required string Id { get; set; }

    public required string RepositoryName { get; set; }

    public DateTime StartedAt { get; set; }

    public DateTime UpdatedAt { get; set; }

    /// <summary>
    /// Bytes received and stored so far: the offset the next chunk must start at. Advanced only by an UPDATE that
    /// names the offset it read, so two nodes can never both append at one offset (the loser answers 416).
    /// </summary>
    public long Size { get; set; }

    /// <summary>What the storage driver needs to resume its writer on any node (e.g. a multipart upload id and parts).</summary>
    public string? StorageState { get; set; }
}
