using Microsoft.OpenApi;

namespace Berth.Server.Api;

/// <summary>The index's REST API (docs/API.md) under <c>/api/v1</c>, Docker's <c>/v1/search</c>, and the OpenAPI document.</summary>
internal static class IndexApi
{
    public const string OpenApiPath = "/api/v1/openapi.json";

    public static IServiceCollection AddIndexApi(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            // The document describes this API only; /v2 and the token service have their own specifications.
            options.ShouldInclude = description => description.RelativePath is { } path && (path.StartsWith("api/v1/", StringComparison.Ordinal) || path.StartsWith("v1/", StringComparison.Ordinal));
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "Berth index API";
                document.Info.Version = "v1";
                document.Info.Description = "Accounts, organisations, repositories, stars, comments, search, webhooks and audit. Authenticate with HTTP Basic (password or personal access token) or Bearer (personal access token).";
                return Task.CompletedTask;
            });
            options.AddOperationTransformer((operation, context, _) =>
            {
                if (context.Description.ActionDescriptor.EndpointMetadata.OfType<PagedList>().Any())
                {
                    operation.Parameters ??= [];
                    operation.Parameters.Add(QueryInteger("page", "1-based page number (default 1)"));
                    operation.Parameters.Add(QueryInteger("n", "page size, 1-100 (default 25)"));
                }

                return Task.CompletedTask;
            });
        });

    /// <summary>Marks a list endpoint that takes <c>page</c> and <c>n</c> (read by <see cref="ApiResults.Page"/>, so the document is told here).</summary>
    public static TBuilder Paged<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(PagedList.Instance);

    public static void MapIndexApi(this WebApplication app)
    {
        app.MapOpenApi(OpenApiPath);

        var api = app.MapGroup("/api/v1").AddEndpointFilter(ApiAuthentication.FilterAsync);
        api.MapAccountsApi();
        api.MapOrganizationsApi();
        api.MapRepositoriesApi();
        api.MapWebhooksApi();
        api.MapTagPoliciesApi();
        api.MapSearchApi();
        api.MapAuditApi();

        var v1 = app.MapGroup("/v1").AddEndpointFilter(ApiAuthentication.FilterAsync);
        v1.MapDockerSearchApi();
    }

    private static OpenApiParameter QueryInteger(string name, string description) => new()
    {
        Name = name,
        In = ParameterLocation.Query,
        Description = description,
        Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" },
    };

    private sealed class PagedList
    {
        public static readonly PagedList Instance = new();
    }
}
