namespace Berth.Data.Entities;

/// <summary>
/// A repository: created by its first push (or by the index), the anchor of tags, manifests and blob links,
/// and the index's record of it (visibility, description, counts).
/// </summary>
public sealed class RepositoryRecord
{
    public long Id { get; set; }

    public required string Name { get; set; }

    public DateTime CreatedAt { get; set; }

    /// <summary>
    /// The token subject whose push created the row (null when created by the index API or before this was recorded).
    /// A create grant, given for a name that did not exist, is honoured only on a repository its holder created.
    /// </summary>
    public string? CreatedBy { get; set; }

    public DateTime? LastPushedAt { get; set; }

    /// <summary>The first path segment: the account or organisation that owns the repository.</summary>
    public string Namespace { get; set; } = "";

    public Visibility Visibility { get; set; } = Visibility.Private;

    public string? Description { get; set; }

    public long PullCount { get; set; }

    /// <summary>
    /// The upstream a pull-through mirror cached this repository from (its configured name, or its URL for the mirror
    /// of every name); null for a local repository.
    /// </summary>
    public string? MirrorSource { get; set; }
}

public enum Visibility
{
    Private = 0,
    Public = 1,
}
