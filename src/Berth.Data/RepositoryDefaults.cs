using Berth.Data.Entities;

namespace Berth.Data;

/// <summary>What a repository created by its first push starts with.</summary>
public sealed record RepositoryDefaults(Visibility Visibility = Visibility.Private)
{
    /// <summary>
    /// Where a repository of this name comes from, when a pull-through mirror caches it (null: a local repository).
    /// A mirrored repository is created with its source and the visibility its pull policy gives, not the default.
    /// </summary>
    public Func<string, RepositoryOrigin?>? Origin { get; init; }
}

/// <summary>A mirrored repository's upstream (<see cref="RepositoryRecord.MirrorSource"/>) and the visibility it is created with.</summary>
public sealed record RepositoryOrigin(string MirrorSource, Visibility Visibility);
