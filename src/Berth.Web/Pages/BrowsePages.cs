using System.Globalization;
using Berth.Index;
using Berth.Index.Accounts;
using Berth.Index.Organizations;
using Berth.Index.Repositories;
using Berth.Index.Search;
using Berth.Web.Sessions;
using Berth.Web.Views;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Berth.Web.Pages;

/// <summary><c>/</c>, <c>/search</c> and <c>/u/{name}</c>: lists of repositories, always through the services' visibility filter.</summary>
internal static class BrowsePages
{
    public const int ExploreSize = 8;
    public const int ListSize = 25;

    public static async Task<IResult> ExploreAsync(HttpContext http, ISearchService search, CancellationToken cancellationToken)
    {
        var caller = WebCaller.Of(http);
        var first = PageRequest.Create(1, ExploreSize).Value;
        var recent = await search.SearchAsync(caller, null, first, SearchSort.Updated, cancellationToken);
        var starred = await search.SearchAsync(caller, null, first, SearchSort.Stars, cancellationToken);
        return WebPage.Render<ExploreView, ExploreModel>(http, new ExploreModel(
            recent.IsSuccess ? recent.Value!.Results.Where(r => r.LastPushedAt is not null).ToList() : [],
            starred.IsSuccess ? starred.Value!.Results.Where(r => r.StarCount > 0).ToList() : []));
    }

    public static async Task<IResult> SearchAsync(HttpContext http, ISearchService search, string? q, string? sort, string? page, CancellationToken cancellationToken)
    {
        var (model, status, error) = await FindAsync(http, search, q, sort, page, cancellationToken);
        return error is not null
            ? WebPage.Error(http, status, "Search", error)
            : WebPage.Render<SearchView, SearchModel>(http, model, status);
    }

    /// <summary>
    /// <c>/search/results</c>: the same search's results region alone (count, list, pager), for the search box's live
    /// update (site.js); the page itself stays the answer without script.
    /// </summary>
    public static async Task<IResult> SearchResultsAsync(HttpContext http, ISearchService search, string? q, string? sort, string? page, CancellationToken cancellationToken)
    {
        var (model, status, _) = await FindAsync(http, search, q, sort, page, cancellationToken);
        return new RazorComponentResult<SearchResultsRegion>(new Dictionary<string, object?> { ["Model"] = model })
        {
            StatusCode = status,
            ContentType = "text/html; charset=utf-8",
        };
    }

    /// <summary>The search page's model and status; an error text when the search service refused the query.</summary>
    private static async Task<(SearchModel Model, int Status, string? Error)> FindAsync(HttpContext http, ISearchService search, string? q, string? sort, string? page, CancellationToken cancellationToken)
    {
        var order = ParseSort(sort);
        var request = PageRequest.Create(ParsePage(page), ListSize);
        var query = (q ?? "").Trim();
        if (!request.IsSuccess || query.Length > ISearchService.MaxQueryLength)
        {
            return (new SearchModel(query.Length > ISearchService.MaxQueryLength ? "" : query, order, 1, ListSize, 0, []), StatusCodes.Status400BadRequest, null);
        }

        var found = await search.SearchAsync(WebCaller.Of(http), query, request.Value, order, cancellationToken);
        return found.IsSuccess
            ? (new SearchModel(query, order, found.Value!.Page, found.Value.PageSize, found.Value.Total, found.Value.Results), StatusCodes.Status200OK, null)
            : (new SearchModel(query, order, 1, ListSize, 0, []), StatusCodes.Status400BadRequest, found.Error!.Detail ?? found.Error.Title);
    }

    public static async Task<IResult> NamespaceAsync(
        HttpContext http, string name, string? page, IUserService users, IOrganizationService organizations, IRepositoryService repositories, CancellationToken cancellationToken)
    {
        var caller = WebCaller.Of(http);
        string kind;
        string? description = null;
        DateTime? since = null;
        var user = await users.GetPublicAsync(name, cancellationToken);
        if (user.IsSuccess)
        {
            kind = "user";
            since = user.Value!.CreatedAt;
        }
        else
        {
            var organization = await organizations.GetAsync(caller, name, cancellationToken);
            if (!organization.IsSuccess)
            {
                return WebPage.NotFound(http);
            }

            kind = "organisation";
            description = organization.Value!.Description;
            since = organization.Value.CreatedAt;
        }

        var request = PageRequest.Create(ParsePage(page), ListSize);
        if (!request.IsSuccess)
        {
            return WebPage.NotFound(http);
        }

        var list = await repositories.ListAsync(caller, name, request.Value, cancellationToken);
        return WebPage.Render<NamespaceView, NamespaceModel>(http, new NamespaceModel(
            name, kind, description, since, list, request.Value.Page, list.Count == ListSize, caller is not null && caller.Name == name && kind == "user"));
    }

    public static SearchSort ParseSort(string? sort) => sort switch
    {
        "stars" => SearchSort.Stars,
        "pulls" => SearchSort.Pulls,
        "updated" => SearchSort.Updated,
        _ => SearchSort.Relevance,
    };

    public static string SortWord(SearchSort sort) => sort.ToString().ToLowerInvariant();

    /// <summary>A page number from the query; anything else is page 0, which <see cref="PageRequest.Create"/> refuses.</summary>
    public static int ParsePage(string? page) =>
        page is null ? 1 : int.TryParse(page, NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : 0;
}
