using Berth.Data.Entities;

namespace Berth.Index.Repositories;

/// <summary>A repository as lists and search show it.</summary>
public sealed record RepositoryInfo(
    string Name,
    string Namespace,
    Visibility Visibility,
    string? Description,
    long StarCount,
    long PullCount,
    DateTime? LastPushedAt);

/// <summary>A tag as the index recorded it from the registry's push events.</summary>
/// <param name="Platforms">As the registry reported them at push ("" for none); null for a tag recorded before it did.</param>
public sealed record TagInfo(string Name, string Digest, string MediaType, long Size, DateTime PushedAt, string? Platforms = null);

/// <summary>One repository in full, as seen by one caller.</summary>
/// <param name="Permission">The caller's level: at least <see cref="AccessLevel.Read"/>, or the repository would be invisible.</param>
/// <param name="Tags">The most recently pushed tags (at most <see cref="RepositoryService.DetailTagLimit"/>).</param>
/// <param name="TagCount">All its tags, for paging through them.</param>
/// <param name="MirrorSource">The upstream a pull-through mirror cached it from (name, or URL); null for a local repository.</param>
public sealed record RepositoryDetails(
    RepositoryInfo Summary,
    DateTime CreatedAt,
    long CommentCount,
    bool Starred,
    AccessLevel Permission,
    IReadOnlyList<TagInfo> Tags,
    long TagCount,
    string? MirrorSource = null)
{
    /// <summary>
    /// What a mirrored repository is a copy of: its upstream and name there (<c>docker.io/library/alpine</c>; a named
    /// upstream's prefix is not repeated); null for a local repository.
    /// </summary>
    public string? MirrorOf => MirrorSource is not { } source ? null
        : Summary.Name.StartsWith(source + "/", StringComparison.Ordinal) ? Summary.Name
        : $"{source}/{Summary.Name}";
}

/// <summary>A grant on a repository: to a user or to a team of the repository's organisation.</summary>
public sealed record CollaboratorInfo(string? User, string? Team, AccessLevel Level);

/// <summary>A repository row with its counts, composable in queries (member-initialised so it can be ordered and paged).</summary>
internal sealed class RepositoryRow
{
    public long Id { get; init; }

    public required string Name { get; init; }

    public required string Namespace { get; init; }

    public Visibility Visibility { get; init; }

    public string? Description { get; init; }

    public long StarCount { get; init; }

    public long PullCount { get; init; }

    public DateTime? LastPushedAt { get; init; }

    public DateTime CreatedAt { get; init; }

    public string? MirrorSource { get; init; }

    public RepositoryInfo ToInfo() => new(Name, Namespace, Visibility, Description, StarCount, PullCount, Times.Utc(LastPushedAt));
}
