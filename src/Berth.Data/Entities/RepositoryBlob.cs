namespace Berth.Data.Entities;

/// <summary>
/// A blob uploaded to or mounted into a repository. Only through such a link can the blob be read there:
/// knowing a digest must not be enough to read content pushed elsewhere.
/// </summary>
public sealed class RepositoryBlob
{
    public long RepositoryId { get; set; }

    public required string Digest { get; set; }

    public long Size { get; set; }

    public DateTime CreatedAt { get; set; }
}
