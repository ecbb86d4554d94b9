namespace Berth.Data.Entities;

public sealed class Star
{
    public long AccountId { get; set; }

    public long RepositoryId { get; set; }

    public DateTime CreatedAt { get; set; }
}

/// <summary>A comment on a repository: Markdown as written; rendered and sanitised when shown.</summary>
public sealed class Comment
{
    public long Id { get; set; }

    public long RepositoryId { get; set; }

    public long AccountId { get; set; }

    public required string Body { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime? UpdatedAt { get; set; }
}

/// <summary>A security-relevant action: who did what to what, from where.</summary>
public sealed class AuditEvent
{
    public long Id { get; set; }

    public DateTime At { get; set; }

    public string? Actor { get; set; }

    public required string Action { get; set; }

    public string? Target { get; set; }

    public string? Address { get; set; }

    public string? Detail { get; set; }
}

/// <summary>
/// The index's record of a tag (the seed's "image checksums"): filled from registry push/delete events, so it is
/// the same whether the registry runs in this process or as a separate one.
/// </summary>
public sealed class TagSummary
{
    /// <summary>The longest <see cref="Platforms"/> kept: an index's list is cut at a platform boundary before this.</summary>
    public const int MaxPlatformsLength = 1024;

    public long RepositoryId { get; set; }

    public required string Tag { get; set; }

    public required string Digest { get; set; }

    public required string MediaType { get; set; }

    /// <summary>Bytes of the manifest plus everything it references directly (config and layers, or child manifests).</summary>
    public long Size { get; set; }

    public DateTime PushedAt { get; set; }

    public string? Pusher { get; set; }

    /// <summary>
    /// The pushed manifest's platforms as the registry reported them (<c>linux/amd64, linux/arm64/v8</c>; "" for
    /// none); null for a tag recorded before they were reported, whose platforms a page must look up itself.
    /// </summary>
    public string? Platforms { get; set; }
}
