namespace Berth.Data.Entities;

/// <summary>
/// A namespace's storage quota (a repository's namespace is its first path segment, <see cref="RepositoryRecord.Namespace"/>)
/// and what it uses: the bytes of the distinct blobs its repositories link. <see cref="UsedBytes"/> is kept only while
/// the row exists: written with every link and unlink in the same transaction, and recounted when the quota is set.
/// </summary>
public sealed class NamespaceQuota
{
    public required string Namespace { get; set; }

    public long LimitBytes { get; set; }

    public long UsedBytes { get; set; }

    public DateTime UpdatedAt { get; set; }
}
