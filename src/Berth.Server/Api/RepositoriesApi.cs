using System.Globalization;
using Berth.Data.Entities;
using Berth.Index;
using Berth.Index.Repositories;
using Berth.Index.Social;
using Berth.Index.Webhooks;

namespace Berth.Server.Api;

/// <summary>
/// <c>/api/v1/repositories</c>. Names contain slashes, so each operation on one repository is mapped twice: as
/// <c>/repositories/{name}/-/…</c> (what the OpenAPI document shows; matches one-segment names, or a name sent
/// with <c>%2F</c>), and behind one <c>/repositories/{**path}</c> catch-all that splits the path with
/// <see cref="RepositoryPath"/> and dispatches to the same handler from the same table.
/// </summary>
internal static class RepositoriesApi
{
    private delegate Task<IResult> Handler(HttpContext http, string name, string? argument, CancellationToken cancellationToken);

    /// <param name="Resource">
    /// After <c>/-/</c>; empty for the repository itself. Its <c>{…}</c> segments reach the handler as one
    /// <c>argument</c>, joined with <c>/</c> when there are two (<c>webhooks/{id}/deliveries/{delivery}</c>: "7/12").
    /// </param>
    /// <param name="Login">Anonymous callers get 401 (whether or not the repository exists).</param>
    private sealed record Route(string Method, string Resource, bool Login, Handler Handle, string Summary, Action<RouteHandlerBuilder> Describe);

    private static readonly Route[] Routes =
    [
        new("GET", "", false, GetAsync, "A repository, with its most recently pushed tags",
            b => b.Produces<Repository>().ProducesProblem(StatusCodes.Status404NotFound)),
        new("PATCH", "", true, UpdateAsync, "Change visibility or description (admin)",
            b => b.Accepts<UpdateRepositoryRequest>(ApiResults.Json).Produces<Repository>().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)),
        new("DELETE", "", true, DeleteAsync, "Delete the repository, its tags and manifests; blobs are left for garbage collection (admin)",
            b => b.Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)),
        new("GET", "tags", false, TagsAsync, "Tags, most recently pushed first",
            b => b.Paged().Produces<List<Tag>>().ProducesProblem(StatusCodes.Status404NotFound)),
        new("GET", "collaborators", true, CollaboratorsAsync, "Users and teams granted access (admin)",
            b => b.Paged().Produces<List<Collaborator>>().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)),
        new("PUT", "collaborators/users/{user}", true, SetUserAsync, "Grant a user read, write or admin (admin)",
            b => b.Accepts<SetLevelRequest>(ApiResults.Json).Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)),
        new("DELETE", "collaborators/users/{user}", true, RemoveUserAsync, "Remove a user's grant (admin)",
            b => b.Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)),
        new("PUT", "collaborators/teams/{team}", true, SetTeamAsync, "Grant a team of the repository's organisation read, write or admin (admin)",
            b => b.Accepts<SetLevelRequest>(ApiResults.Json).Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)),
        new("DELETE", "collaborators/teams/{team}", true, RemoveTeamAsync, "Remove a team's grant (admin)",
            b => b.Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)),
        new("PUT", "star", true, StarAsync, "Star the repository",
            b => b.Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound)),
        new("DELETE", "star", true, UnstarAsync, "Remove the caller's star",
            b => b.Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound)),
        new("GET", "comments", false, CommentsAsync, "Comments, oldest first",
            b => b.Paged().Produces<List<Comment>>().ProducesProblem(StatusCodes.Status404NotFound)),
        new("POST", "comments", true, CommentAsync, "Comment (Markdown, at most 20,000 characters)",
            b => b.Accepts<CommentRequest>(ApiResults.Json).Produces<Comment>(StatusCodes.Status201Created).ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)),
        new("PATCH", "comments/{id}", true, EditCommentAsync, "Edit a comment (its author or a repository admin)",
            b => b.Accepts<CommentRequest>(ApiResults.Json).Produces<Comment>().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)),
        new("DELETE", "comments/{id}", true, DeleteCommentAsync, "Delete a comment (its author or a repository admin)",
            b => b.Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)),
        .. WebhooksApi.Routes.Select(w => new Route(w.Method, w.Resource, true,
            (http, name, argument, ct) => WebhooksApi.InvokeAsync(w, http, WebhookScope.Repository(name), argument, ct), w.Summary, b => w.Describe(b.WithTags(WebhooksApi.Tag)))),
        .. TagPoliciesApi.Routes.Select(p => new Route(p.Method, p.Resource, true,
            (http, name, argument, ct) => TagPoliciesApi.InvokeAsync(p, http, WebhookScope.Repository(name), argument, ct), p.Summary, b => p.Describe(b.WithTags(TagPoliciesApi.Tag)))),
    ];

    public static void MapRepositoriesApi(this RouteGroupBuilder api)
    {
        var repositories = api.MapGroup("/repositories").WithTags("Repositories");
        repositories.MapGet("", ListAsync)
            .Paged().Produces<List<RepositorySummary>>().WithSummary("Repositories the caller may see, optionally in one namespace");
        repositories.MapPost("", CreateAsync).RequireLogin()
            .Accepts<CreateRepositoryRequest>(ApiResults.Json).Produces<Repository>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Create a repository in a namespace the caller may create in");

        foreach (var route in Routes)
        {
            var builder = MapDocumented(repositories, route)
                .WithSummary(route.Summary)
                .WithDescription("`name` may contain slashes: send them as they are (`/repositories/team/app/-/tags`) or as `%2F`.");
            route.Describe(builder);
        }

        repositories.MapMethods("/{**path}", Routes.Select(r => r.Method).Distinct().ToArray(), DispatchAsync).ExcludeFromDescription();
    }

    private static RouteHandlerBuilder MapDocumented(RouteGroupBuilder group, Route route)
    {
        string[] method = [route.Method];
        var resource = route.Resource.Replace("{id}", "{id:long}", StringComparison.Ordinal).Replace("{delivery}", "{delivery:long}", StringComparison.Ordinal);
        var pattern = "/{name}" + (resource.Length == 0 ? "" : RepositoryPath.Separator + resource);
        if (resource.Contains("{delivery:long}", StringComparison.Ordinal))
        {
            return group.MapMethods(pattern, method, (HttpContext http, string name, long id, long delivery, CancellationToken ct) =>
                InvokeAsync(route, http, name, string.Create(CultureInfo.InvariantCulture, $"{id}/{delivery}"), ct));
        }

        if (resource.Contains("{user}", StringComparison.Ordinal))
        {
            return group.MapMethods(pattern, method, (HttpContext http, string name, string user, CancellationToken ct) => InvokeAsync(route, http, name, user, ct));
        }

        if (resource.Contains("{team}", StringComparison.Ordinal))
        {
            return group.MapMethods(pattern, method, (HttpContext http, string name, string team, CancellationToken ct) => InvokeAsync(route, http, name, team, ct));
        }

        if (resource.Contains("{id:long}", StringComparison.Ordinal))
        {
            return group.MapMethods(pattern, method, (HttpContext http, string name, long id, CancellationToken ct) =>
                InvokeAsync(route, http, name, id.ToString(CultureInfo.InvariantCulture), ct));
        }

        return group.MapMethods(pattern, method, (HttpContext http, string name, CancellationToken ct) => InvokeAsync(route, http, name, null, ct));
    }

    private static Task<IResult> DispatchAsync(HttpContext http, string? path, CancellationToken cancellationToken)
    {
        if (!RepositoryPath.TryParse(path, out var target))
        {
            return Task.FromResult(ApiResults.Problem(IndexError.NotFound($"repository '{path}'")));
        }

        var allowed = new List<string>();
        foreach (var route in Routes)
        {
            if (target.Matches(route.Resource, out var argument))
            {
                if (HttpMethods.Equals(route.Method, http.Request.Method))
                {
                    return InvokeAsync(route, http, target.Name, argument, cancellationToken);
                }

                allowed.Add(route.Method);
            }
        }

        if (allowed.Count == 0)
        {
            return Task.FromResult(ApiResults.Problem(StatusCodes.Status404NotFound, "Not Found", $"repositories have no resource '{target.Resource}'"));
        }

        http.Response.Headers.Allow = string.Join(", ", allowed);
        return Task.FromResult(ApiResults.Problem(StatusCodes.Status405MethodNotAllowed, "Method Not Allowed", $"allowed: {string.Join(", ", allowed)}"));
    }

    private static Task<IResult> InvokeAsync(Route route, HttpContext http, string name, string? argument, CancellationToken cancellationToken)
    {
        if (route.Login && http.Caller() is null)
        {
            http.Response.Headers.WWWAuthenticate = ApiAuthentication.Challenge;
            return Task.FromResult(ApiResults.Problem(StatusCodes.Status401Unauthorized, "Unauthorized", "this needs a signed-in user"));
        }

        return route.Handle(http, RepositoryPath.DecodeSlashes(name), argument, cancellationToken);
    }

    private static T Service<T>(HttpContext http)
        where T : notnull => http.RequestServices.GetRequiredService<T>();

    private static async Task<IResult> ListAsync(HttpContext http, IRepositoryService repositories, string? @namespace, CancellationToken cancellationToken)
    {
        var page = ApiResults.Page(http);
        if (!page.IsSuccess)
        {
            return ApiResults.Problem(page.Error);
        }

        var list = await repositories.ListAsync(http.Caller(), @namespace, page.Value, cancellationToken);
        return ApiResults.Ok(ApiMapping.ToSummaries(list), ApiJson.Default.ListRepositorySummary);
    }

    private static async Task<IResult> CreateAsync(HttpContext http, IRepositoryService repositories, CancellationToken cancellationToken)
    {
        var body = await ApiResults.ReadAsync(http, ApiJson.Default.CreateRepositoryRequest, cancellationToken);
        if (!body.IsSuccess)
        {
            return ApiResults.Problem(body.Error);
        }

        var request = body.Value;
        Visibility? visibility = null;
        if (request.Visibility is not null)
        {
            if (!IndexWords.TryParseVisibility(request.Visibility, out var v))
            {
                return ApiResults.Problem(IndexError.Invalid("visibility must be public or private"));
            }

            visibility = v;
        }

        var created = await repositories.CreateAsync(http.User(), request.Name, visibility, request.Description, cancellationToken);
        return created.IsSuccess
            ? ApiResults.Created(http, $"/api/v1/repositories/{created.Value.Summary.Name}", ApiMapping.ToRepository(created.Value), ApiJson.Default.Repository)
            : ApiResults.Problem(created.Error);
    }

    private static async Task<IResult> GetAsync(HttpContext http, string name, string? argument, CancellationToken cancellationToken) =>
        ApiResults.From(await Service<IRepositoryService>(http).GetAsync(http.Caller(), name, cancellationToken), ApiMapping.ToRepository, ApiJson.Default.Repository);

    private static async Task<IResult> UpdateAsync(HttpContext http, string name, string? argument, CancellationToken cancellationToken)
    {
        var body = await ApiResults.ReadAsync(http, ApiJson.Default.UpdateRepositoryRequest, cancellationToken);
        if (!body.IsSuccess)
        {
            return ApiResults.Problem(body.Error);
        }

        Visibility? visibility = null;
        if (body.Value.Visibility is { } word)
        {
            if (!IndexWords.TryParseVisibility(word, out var v))
            {
                return ApiResults.Problem(IndexError.Invalid("visibility must be public or private"));
            }

            visibility = v;
        }

        var updated = await Service<IRepositoryService>(http).UpdateAsync(http.User(), name, visibility, body.Value.Description, cancellationToken);
        return ApiResults.From(updated, ApiMapping.ToRepository, ApiJson.Default.Repository);
    }

    private static async Task<IResult> DeleteAsync(HttpContext http, string name, string? argument, CancellationToken cancellationToken) =>
        ApiResults.NoContent(await Service<IRepositoryService>(http).DeleteAsync(http.User(), name, cancellationToken));

    private static async Task<IResult> TagsAsync(HttpContext http, string name, string? argument, CancellationToken cancellationToken)
    {
        var page = ApiResults.Page(http);
        if (!page.IsSuccess)
        {
            return ApiResults.Problem(page.Error);
        }

        var tags = await Service<IRepositoryService>(http).ListTagsAsync(http.Caller(), name, page.Value, cancellationToken);
        return ApiResults.From(tags, ApiMapping.ToTags, ApiJson.Default.ListTag);
    }

    private static async Task<IResult> CollaboratorsAsync(HttpContext http, string name, string? argument, CancellationToken cancellationToken)
    {
        var page = ApiResults.Page(http);
        if (!page.IsSuccess)
        {
            return ApiResults.Problem(page.Error);
        }

        var grants = await Service<ICollaboratorService>(http).ListAsync(http.User(), name, page.Value, cancellationToken);
        return ApiResults.From(grants, g => g.Select(c => new Collaborator(c.User, c.Team, IndexWords.Word(c.Level))).ToList(), ApiJson.Default.ListCollaborator);
    }

    private static Task<IResult> SetUserAsync(HttpContext http, string name, string? argument, CancellationToken cancellationToken) =>
        SetLevelAsync(http, (collaborators, level) => collaborators.SetUserAsync(http.User(), name, argument!, level, cancellationToken), cancellationToken);

    private static Task<IResult> SetTeamAsync(HttpContext http, string name, string? argument, CancellationToken cancellationToken) =>
        SetLevelAsync(http, (collaborators, level) => collaborators.SetTeamAsync(http.User(), name, argument!, level, cancellationToken), cancellationToken);

    private static async Task<IResult> SetLevelAsync(HttpContext http, Func<ICollaboratorService, AccessLevel, Task<Outcome<bool>>> set, CancellationToken cancellationToken)
    {
        var body = await ApiResults.ReadAsync(http, ApiJson.Default.SetLevelRequest, cancellationToken);
        if (!body.IsSuccess)
        {
            return ApiResults.Problem(body.Error);
        }

        if (!IndexWords.TryParseLevel(body.Value.Level, out var level))
        {
            return ApiResults.Problem(IndexError.Invalid("level must be read, write or admin"));
        }

        return ApiResults.NoContent(await set(Service<ICollaboratorService>(http), level));
    }

    private static async Task<IResult> RemoveUserAsync(HttpContext http, string name, string? argument, CancellationToken cancellationToken) =>
        ApiResults.NoContent(await Service<ICollaboratorService>(http).RemoveUserAsync(http.User(), name, argument!, cancellationToken));

    private static async Task<IResult> RemoveTeamAsync(HttpContext http, string name, string? argument, CancellationToken cancellationToken) =>
        ApiResults.NoContent(await Service<ICollaboratorService>(http).RemoveTeamAsync(http.User(), name, argument!, cancellationToken));

    private static async Task<IResult> StarAsync(HttpContext http, string name, string? argument, CancellationToken cancellationToken) =>
        ApiResults.NoContent(await Service<IStarService>(http).StarAsync(http.User(), name, cancellationToken));

    private static async Task<IResult> UnstarAsync(HttpContext http, string name, string? argument, CancellationToken cancellationToken) =>
        ApiResults.NoContent(await Service<IStarService>(http).UnstarAsync(http.User(), name, cancellationToken));

    private static async Task<IResult> CommentsAsync(HttpContext http, string name, string? argument, CancellationToken cancellationToken)
    {
        var page = ApiResults.Page(http);
        if (!page.IsSuccess)
        {
            return ApiResults.Problem(page.Error);
        }

        var comments = await Service<ICommentService>(http).ListAsync(http.Caller(), name, page.Value, cancellationToken);
        return ApiResults.From(comments, c => c.Select(ApiMapping.ToComment).ToList(), ApiJson.Default.ListComment);
    }

    private static async Task<IResult> CommentAsync(HttpContext http, string name, string? argument, CancellationToken cancellationToken)
    {
        var body = await ApiResults.ReadAsync(http, ApiJson.Default.CommentRequest, cancellationToken);
        if (!body.IsSuccess)
        {
            return ApiResults.Problem(body.Error);
        }

        var created = await Service<ICommentService>(http).CreateAsync(http.User(), name, body.Value.Body, cancellationToken);
        return created.IsSuccess
            ? ApiResults.Created(http, $"/api/v1/repositories/{name}/-/comments/{created.Value.Id}", ApiMapping.ToComment(created.Value), ApiJson.Default.Comment)
            : ApiResults.Problem(created.Error);
    }

    private static async Task<IResult> EditCommentAsync(HttpContext http, string name, string? argument, CancellationToken cancellationToken)
    {
        if (!TryParseId(argument, out var id))
        {
            return ApiResults.Problem(IndexError.NotFound($"comment '{argument}'"));
        }

        var body = await ApiResults.ReadAsync(http, ApiJson.Default.CommentRequest, cancellationToken);
        if (!body.IsSuccess)
        {
            return ApiResults.Problem(body.Error);
        }

        var edited = await Service<ICommentService>(http).UpdateAsync(http.User(), name, id, body.Value.Body, cancellationToken);
        return ApiResults.From(edited, ApiMapping.ToComment, ApiJson.Default.Comment);
    }

    private static async Task<IResult> DeleteCommentAsync(HttpContext http, string name, string? argument, CancellationToken cancellationToken) =>
        TryParseId(argument, out var id)
            ? ApiResults.NoContent(await Service<ICommentService>(http).DeleteAsync(http.User(), name, id, cancellationToken))
            : ApiResults.Problem(IndexError.NotFound($"comment '{argument}'"));

    private static bool TryParseId(string? text, out long id) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out id);
}
