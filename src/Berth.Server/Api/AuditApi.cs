using Berth.Index.Audit;

namespace Berth.Server.Api;

/// <summary><c>/api/v1/audit</c>: the audit log, newest first, for administrators.</summary>
internal static class AuditApi
{
    public static void MapAuditApi(this RouteGroupBuilder api) =>
        api.MapGet("/audit", ListAsync).RequireLogin().WithTags("Audit")
            .Paged().Produces<List<AuditRecord>>().ProducesProblem(StatusCodes.Status403Forbidden)
            .WithSummary("Security-relevant actions, newest first (administrators)");

    private static async Task<IResult> ListAsync(HttpContext http, IAuditLog audit, CancellationToken cancellationToken)
    {
        var page = ApiResults.Page(http);
        if (!page.IsSuccess)
        {
            return ApiResults.Problem(page.Error);
        }

        var entries = await audit.ListAsync(http.User(), page.Value, cancellationToken);
        return ApiResults.From(entries, e => e.Select(ApiMapping.ToRecord).ToList(), ApiJson.Default.ListAuditRecord);
    }
}
