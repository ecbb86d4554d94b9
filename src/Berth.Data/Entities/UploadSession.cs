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

    /// <summary>
    /// The SHA-256 state after the first <see cref="Size"/> bytes, so the next chunk is hashed on from there on any node;
    /// null when unknown (the digest is then computed from the stored bytes once, at completion).
    /// </summary>
    public byte[]? HashState { get; set; }

    /// <summary>
    /// The request writing this upload now: set by an UPDATE that names the offset it read and finds no live claim, renewed
    /// while bytes stream, cleared when the offset advances. Another request meanwhile answers 416; a claim not renewed for
    /// the claim timeout (its node died) may be taken over.
    /// </summary>
    public string? ClaimToken { get; set; }

    public DateTime? ClaimedAt { get; set; }

    /// <summary>
    /// The digest this upload is publishing, set (in a transaction, once no deletion of that digest is under way) before
    /// its bytes move to their content address and kept until the session row goes: garbage collection leaves a digest
    /// alone while an upload publishes it, so bytes just published are never deleted under a link about to be made.
    /// </summary>
    public string? PublishingDigest { get; set; }
}
