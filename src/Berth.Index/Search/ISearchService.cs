using Berth.Index.Accounts;
using Berth.Index.Repositories;

namespace Berth.Index.Search;

/// <summary>How search results are ordered; each falls back to the next criteria, then the name, so pages are stable.</summary>
public enum SearchSort
{
    /// <summary>Match quality, then stars, then pulls.</summary>
    Relevance,
    Stars,
    Pulls,

    /// <summary>Most recently pushed first; never-pushed repositories last.</summary>
    Updated,
}

public sealed record SearchResults(string Query, int Page, int PageSize, int Total, IReadOnlyList<RepositoryInfo> Results);

/// <summary>
/// Repository search over what the caller may read. Ranked: exact name, then name prefix or last path segment equal
/// to the query, then the query anywhere in the name, then in the description; ties by stars, pulls, then name.
/// </summary>
public interface ISearchService
{
    public const int MaxQueryLength = 255;

    Task<Outcome<SearchResults>> SearchAsync(Principal? caller, string? query, PageRequest page, SearchSort sort, CancellationToken cancellationToken);
}
