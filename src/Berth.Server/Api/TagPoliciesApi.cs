using System.Globalization;
using Berth.Index;
using Berth.Index.TagPolicies;
using Berth.Index.Webhooks;
using Microsoft.OpenApi;

namespace Berth.Server.Api;

/// <summary>
/// Tag immutability rules and retention policies, for the three scopes webhooks have:
/// <c>/repositories/{name}/-/tag-rules…</c> and <c>…/-/retention-policies…</c> (through <see cref="RepositoriesApi"/>'s
/// route table), <c>/orgs/{org}/…</c> and <c>/user/…</c> (mapped here). Every route needs a signed-in caller;
/// <see cref="ITagPolicyService"/> decides the rest (the scope's administrators and site administrators).
/// </summary>
internal static class TagPoliciesApi
{
    public const string Tag = "Tag rules and retention";

    /// <summary><paramref name="id"/> is 0 where the route has no <c>{id}</c>.</summary>
    public delegate Task<IResult> Handler(HttpContext http, WebhookScope scope, long id, CancellationToken cancellationToken);

    /// <param name="Resource">Relative to the scope, with at most <c>{id}</c>.</param>
    public sealed record Route(string Method, string Resource, Handler Handle, string Summary, Action<RouteHandlerBuilder> Describe);

    public static readonly Route[] Routes =
    [
        new("GET", "tag-rules", ListRulesAsync, "Tag immutability rules, oldest first (admins)",
            b => b.Produces<List<TagRuleInfo>>().Denials()),
        new("POST", "tag-rules", CreateRuleAsync, "Make the tags matching a pattern (v*, release-*) immutable: they can no longer be moved or deleted (admins; at most 50 per scope)",
            b => b.Accepts<CreateTagRuleRequest>(ApiResults.Json).Produces<TagRuleInfo>(StatusCodes.Status201Created)
                .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict).Denials()),
        new("DELETE", "tag-rules/{id}", DeleteRuleAsync, "Lift a tag immutability rule (admins)",
            b => b.Produces(StatusCodes.Status204NoContent).Denials()),
        new("GET", "retention-policies", ListPoliciesAsync, "Retention policies, oldest first (admins)",
            b => b.Produces<List<RetentionPolicyInfo>>().Denials()),
        new("POST", "retention-policies", CreatePolicyAsync, "Keep only the last keepLast tags matching a pattern and/or those pushed within keepDays days; the garbage-collection worker untags the rest (admins; at most 50 per scope)",
            b => b.Accepts<CreateRetentionPolicyRequest>(ApiResults.Json).Produces<RetentionPolicyInfo>(StatusCodes.Status201Created)
                .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict).Denials()),
        new("DELETE", "retention-policies/{id}", DeletePolicyAsync, "Delete a retention policy (admins)",
            b => b.Produces(StatusCodes.Status204NoContent).Denials()),
    ];

    /// <summary><c>/orgs/{org}/…</c> and <c>/user/…</c>.</summary>
    public static void MapTagPoliciesApi(this RouteGroupBuilder api)
    {
        api.MapGroup("/orgs/{org}").WithTags(Tag).MapScope(http => WebhookScope.Organization((string)http.GetRouteValue("org")!), "org");
        api.MapGroup("/user").WithTags(Tag).MapScope(_ => WebhookScope.User, null);
    }

    /// <summary>Runs a route for a scope, with the id from the one <c>argument</c> of <see cref="RepositoriesApi"/>'s table.</summary>
    public static Task<IResult> InvokeAsync(Route route, HttpContext http, WebhookScope scope, string? argument, CancellationToken cancellationToken)
    {
        long id = 0;
        return argument is null || long.TryParse(argument, NumberStyles.None, CultureInfo.InvariantCulture, out id)
            ? route.Handle(http, scope, id, cancellationToken)
            : Task.FromResult(ApiResults.Problem(IndexError.NotFound($"'{argument}'")));
    }

    private static RouteHandlerBuilder Denials(this RouteHandlerBuilder builder) =>
        builder.ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

    private static void MapScope(this RouteGroupBuilder group, Func<HttpContext, WebhookScope> scope, string? scopeParameter)
    {
        foreach (var route in Routes)
        {
            string[] method = [route.Method];
            var pattern = "/" + route.Resource.Replace("{id}", "{id:long}", StringComparison.Ordinal);
            var builder = route.Resource.Contains("{id}", StringComparison.Ordinal)
                ? group.MapMethods(pattern, method, (HttpContext http, long id, CancellationToken ct) => route.Handle(http, scope(http), id, ct))
                : group.MapMethods(pattern, method, (HttpContext http, CancellationToken ct) => route.Handle(http, scope(http), 0, ct));
            builder.RequireLogin().WithSummary(route.Summary);
            route.Describe(builder);
            if (scopeParameter is not null)
            {
                builder.AddOpenApiOperationTransformer((operation, _, _) =>
                {
                    operation.Parameters ??= [];
                    operation.Parameters.Insert(0, new OpenApiParameter
                    {
                        Name = scopeParameter,
                        In = ParameterLocation.Path,
                        Required = true,
                        Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                    });
                    return Task.CompletedTask;
                });
            }
        }
    }

    private static ITagPolicyService Policies(HttpContext http) => http.RequestServices.GetRequiredService<ITagPolicyService>();

    private static async Task<IResult> ListRulesAsync(HttpContext http, WebhookScope scope, long id, CancellationToken cancellationToken) =>
        ApiResults.From(await Policies(http).ListRulesAsync(http.User(), scope, cancellationToken), l => l.ToList(), ApiJson.Default.ListTagRuleInfo);

    private static async Task<IResult> CreateRuleAsync(HttpContext http, WebhookScope scope, long id, CancellationToken cancellationToken)
    {
        var body = await ApiResults.ReadAsync(http, ApiJson.Default.CreateTagRuleRequest, cancellationToken);
        if (!body.IsSuccess)
        {
            return ApiResults.Problem(body.Error);
        }

        var created = await Policies(http).CreateRuleAsync(http.User(), scope, body.Value.Pattern, cancellationToken);
        return created.IsSuccess
            ? ApiResults.Created(http, $"{ScopePath(http)}/{created.Value.Id.ToString(CultureInfo.InvariantCulture)}", created.Value, ApiJson.Default.TagRuleInfo)
            : ApiResults.Problem(created.Error);
    }

    private static async Task<IResult> DeleteRuleAsync(HttpContext http, WebhookScope scope, long id, CancellationToken cancellationToken) =>
        ApiResults.NoContent(await Policies(http).DeleteRuleAsync(http.User(), scope, id, cancellationToken));

    private static async Task<IResult> ListPoliciesAsync(HttpContext http, WebhookScope scope, long id, CancellationToken cancellationToken) =>
        ApiResults.From(await Policies(http).ListPoliciesAsync(http.User(), scope, cancellationToken), l => l.ToList(), ApiJson.Default.ListRetentionPolicyInfo);

    private static async Task<IResult> CreatePolicyAsync(HttpContext http, WebhookScope scope, long id, CancellationToken cancellationToken)
    {
        var body = await ApiResults.ReadAsync(http, ApiJson.Default.CreateRetentionPolicyRequest, cancellationToken);
        if (!body.IsSuccess)
        {
            return ApiResults.Problem(body.Error);
        }

        var request = body.Value;
        var created = await Policies(http).CreatePolicyAsync(http.User(), scope, request.Pattern, request.KeepLast, request.KeepDays, cancellationToken);
        return created.IsSuccess
            ? ApiResults.Created(http, $"{ScopePath(http)}/{created.Value.Id.ToString(CultureInfo.InvariantCulture)}", created.Value, ApiJson.Default.RetentionPolicyInfo)
            : ApiResults.Problem(created.Error);
    }

    private static async Task<IResult> DeletePolicyAsync(HttpContext http, WebhookScope scope, long id, CancellationToken cancellationToken) =>
        ApiResults.NoContent(await Policies(http).DeletePolicyAsync(http.User(), scope, id, cancellationToken));

    /// <summary>The request's path up to the collection, for the created item's Location.</summary>
    private static string ScopePath(HttpContext http) => http.Request.PathBase + http.Request.Path.Value!.TrimEnd('/');
}
