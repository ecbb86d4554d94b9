using Berth.Index;
using Berth.Index.Search;

namespace Berth.Server.Api;

/// <summary>The REST search and the Docker-compatible <c>/v1/search</c> (what <c>docker search</c> calls) with <c>/v1/_ping</c>.</summary>
internal static class SearchApi
{
    public static void MapSearchApi(this RouteGroupBuilder api) =>
        api.MapGet("/search", SearchAsync).WithTags("Search")
            .Paged().Produces<SearchPage>().ProducesProblem(StatusCodes.Status400BadRequest)
            .WithSummary("Repositories the caller may read, ranked: exact name, name prefix or last segment, name substring, description; then stars, pulls, name");

    public static void MapDockerSearchApi(this RouteGroupBuilder v1)
    {
        var docker = v1.WithTags("Docker");
        // docker search, once logged in, sends the registry token it got from /token for registry:catalog:search.
        docker.MapGet("/search", DockerSearchAsync).AcceptRegistryToken()
            .Paged().Produces<DockerSearchResults>().ProducesProblem(StatusCodes.Status400BadRequest)
            .WithSummary("Docker registry v1 search, as docker search reads it");
        docker.MapGet("/_ping", (HttpContext http) =>
            {
                // Docker sends Basic credentials on every request to a standalone registry.
                http.Response.Headers["X-Docker-Registry-Standalone"] = "true";
                return ApiResults.Ok(new DockerPing(true), ApiJson.Default.DockerPing);
            })
            .Produces<DockerPing>().WithSummary("What docker search pings first");
    }

    private static async Task<IResult> SearchAsync(HttpContext http, ISearchService search, string? q, CancellationToken cancellationToken)
    {
        var found = await RunAsync(http, search, q, cancellationToken);
        return ApiResults.From(found, r => new SearchPage(r.Query, r.Page, r.PageSize, r.Total, ApiMapping.ToSummaries(r.Results)), ApiJson.Default.SearchPage);
    }

    private static async Task<IResult> DockerSearchAsync(HttpContext http, ISearchService search, string? q, CancellationToken cancellationToken)
    {
        var found = await RunAsync(http, search, q, cancellationToken);
        return ApiResults.From(
            found,
            r => new DockerSearchResults(
                r.Query,
                r.Total,
                (r.Total + r.PageSize - 1) / r.PageSize,
                r.Page,
                r.PageSize,
                r.Results.Select(x => new DockerSearchResult(x.Name, x.Description ?? "", x.StarCount, IsOfficial: false, IsAutomated: false)).ToList()),
            ApiJson.Default.DockerSearchResults);
    }

    private static async Task<Outcome<SearchResults>> RunAsync(HttpContext http, ISearchService search, string? q, CancellationToken cancellationToken)
    {
        var page = ApiResults.Page(http);
        return page.IsSuccess ? await search.SearchAsync(http.Caller(), q, page.Value, SearchSort.Relevance, cancellationToken) : page.Error;
    }
}
