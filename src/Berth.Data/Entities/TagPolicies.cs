namespace Berth.Data.Entities;

/// <summary>
/// Tags matching <see cref="Pattern"/> (a <c>TagPattern</c> glob) in one repository, or in every repository of one
/// namespace, cannot be moved to another manifest or deleted; pushing a new one, or the same digest again, is allowed.
/// Exactly one of <see cref="RepositoryId"/> and <see cref="NamespaceId"/> is set; deleting that repository or namespace
/// deletes the rule.
/// </summary>
public sealed class ImmutableTagRule
{
    public long Id { get; set; }

    public long? RepositoryId { get; set; }

    public long? NamespaceId { get; set; }

    public required string Pattern { get; set; }

    public DateTime CreatedAt { get; set; }

    public string? CreatedBy { get; set; }
}

/// <summary>
/// Which tags matching <see cref="Pattern"/> the garbage-collection worker keeps in each repository in scope (one
/// repository, or every repository of one namespace): the <see cref="KeepLast"/> most recently pushed, and those pushed
/// within <see cref="KeepDays"/> days; at least one is set. The other matching tags are untagged. Scoped as
/// <see cref="ImmutableTagRule"/>.
/// </summary>
public sealed class RetentionPolicy
{
    public long Id { get; set; }

    public long? RepositoryId { get; set; }

    public long? NamespaceId { get; set; }

    public required string Pattern { get; set; }

    public int? KeepLast { get; set; }

    public int? KeepDays { get; set; }

    public DateTime CreatedAt { get; set; }

    public string? CreatedBy { get; set; }
}
