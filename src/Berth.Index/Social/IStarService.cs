using Berth.Index.Accounts;
using Berth.Index.Repositories;

namespace Berth.Index.Social;

/// <summary>Stars (the seed's bookmarks): star and unstar what one may read, and one's starred list.</summary>
public interface IStarService
{
    /// <summary>Idempotent.</summary>
    Task<Outcome<bool>> StarAsync(Principal caller, string repository, CancellationToken cancellationToken);

    /// <summary>Idempotent.</summary>
    Task<Outcome<bool>> UnstarAsync(Principal caller, string repository, CancellationToken cancellationToken);

    /// <summary>The caller's starred repositories that they may still read, by name.</summary>
    Task<IReadOnlyList<RepositoryInfo>> ListStarredAsync(Principal caller, PageRequest page, CancellationToken cancellationToken);
}
