using Berth.Index.Accounts;
using Berth.Index.Repositories;

namespace Berth.Index.Search;

public sealed record SearchResults(string Query, int Page, int PageSize, int Total, IReadOnlyList<RepositoryInfo> Results);

/// <summary>
/// Repository search over what the caller may read. Ranked: exact name, then name prefix or last path segment equal
/// to the query, then the query anywhere in the name, then in the description; ties by stars, pulls, then name.
/// </summary>
public interface ISearchService
{
    public const int MaxQueryLength = 255;

    Task<Outcome<SearchResults>> SearchAsync(Principal? caller, string? query, PageRequest page, CancellationToken cancellationToken);
}
