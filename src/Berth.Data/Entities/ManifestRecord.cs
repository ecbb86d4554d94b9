namespace Berth.Data.Entities;

/// <summary>
/// A manifest or index in a repository. The bytes are kept exactly as pushed (its digest depends on them);
/// manifests are small (at most 4 MiB) and read far more often than blobs, so they live in the database.
/// </summary>
public sealed class ManifestRecord
{
    public long Id { get; set; }

    public long RepositoryId { get; set; }

    public required string Digest { get; set; }

    public required string MediaType { get; set; }

    public string? ArtifactType { get; set; }

    public long Size { get; set; }

    public required byte[] Content { get; set; }

    /// <summary>The digest of the manifest this one refers to (OCI 1.1 <c>subject</c>), for the referrers API.</summary>
    public string? SubjectDigest { get; set; }

    /// <summary>The manifest's annotations as JSON, shown in referrers listings.</summary>
    public string? AnnotationsJson { get; set; }

    public DateTime CreatedAt { get; set; }
}
