using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Data;
using Berth.Data.Entities;
using Berth.Data.Quotas;
using Berth.Index.Permissions;
using Berth.Oci;
using Berth.Server.Api;
using Microsoft.EntityFrameworkCore;

namespace Berth.Server.Quotas;

/// <summary>
/// <c>/api/v1/namespaces/{namespace}/quota</c>: site administrators set, change and remove a namespace's storage quota;
/// they and the namespace's own administrators (the user, an organisation's owners) see its usage.
/// </summary>
internal static class QuotasApi
{
    private const string Tag = "Quotas";

    public static void MapQuotasApi(this WebApplication app)
    {
        var quota = app.MapGroup("/api/v1/namespaces/{namespace}/quota").AddEndpointFilter(ApiAuthentication.FilterAsync).WithTags(Tag);
        quota.MapGet("", GetAsync).RequireLogin()
            .Produces<NamespaceQuotaView>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden)
            .WithSummary("A namespace's usage (bytes of the distinct blobs its repositories link) and its quota, null when it has none (site administrators and the namespace's administrators)");
        quota.MapPut("", SetAsync).RequireLogin()
            .Accepts<SetQuotaRequest>(ApiResults.Json)
            .Produces<NamespaceQuotaView>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden)
            .WithSummary("Set or change a namespace's quota in bytes; pushes that would exceed it are refused with DENIED (site administrators)");
        quota.MapDelete("", RemoveAsync).RequireLogin()
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Remove a namespace's quota: its pushes are no longer limited (site administrators)");
    }

    private static async Task<IResult> GetAsync(HttpContext http, string @namespace, BerthDbContext db, IPermissionService permissions, CancellationToken cancellationToken)
    {
        if (Invalid(@namespace) is { } invalid)
        {
            return invalid;
        }

        if (!await permissions.AdministersNamespaceAsync(http.User(), @namespace, cancellationToken))
        {
            return Forbidden("only site administrators and the namespace's administrators may see its usage");
        }

        var quota = await db.FindQuotaAsync(@namespace, cancellationToken);
        var view = quota is not null
            ? View(quota)
            : new NamespaceQuotaView(@namespace, null, await db.CountAsync(@namespace, cancellationToken), null, null);
        return Results.Json(view, QuotaJson.Default.NamespaceQuotaView);
    }

    private static async Task<IResult> SetAsync(HttpContext http, string @namespace, BerthDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        if (Invalid(@namespace) is { } invalid)
        {
            return invalid;
        }

        if (!http.User().ActsAsAdmin)
        {
            return Forbidden("only site administrators may set quotas");
        }

        var body = await ApiResults.ReadAsync(http, QuotaJson.Default.SetQuotaRequest, cancellationToken);
        if (!body.IsSuccess)
        {
            return ApiResults.Problem(body.Error);
        }

        if (body.Value.LimitBytes is not { } limit || limit < 0)
        {
            return ApiResults.Problem(StatusCodes.Status400BadRequest, "Invalid request", "limitBytes must be a whole number of bytes, 0 or more");
        }

        var quota = await db.SetQuotaAsync(@namespace, limit, time.GetUtcNow().UtcDateTime, cancellationToken);
        return Results.Json(View(quota), QuotaJson.Default.NamespaceQuotaView);
    }

    private static async Task<IResult> RemoveAsync(HttpContext http, string @namespace, BerthDbContext db, CancellationToken cancellationToken)
    {
        if (Invalid(@namespace) is { } invalid)
        {
            return invalid;
        }

        if (!http.User().ActsAsAdmin)
        {
            return Forbidden("only site administrators may remove quotas");
        }

        return await db.RemoveQuotaAsync(@namespace, cancellationToken)
            ? Results.NoContent()
            : ApiResults.Problem(StatusCodes.Status404NotFound, "Not Found", $"namespace '{@namespace}' has no quota");
    }

    private static IResult? Invalid(string @namespace) =>
        QuotaNames.IsNamespace(@namespace)
            ? null
            : ApiResults.Problem(StatusCodes.Status400BadRequest, "Invalid request", QuotaNames.NotANamespace);

    private static IResult Forbidden(string detail) => ApiResults.Problem(StatusCodes.Status403Forbidden, "Forbidden", detail);

    private static NamespaceQuotaView View(NamespaceQuota quota) =>
        new(quota.Namespace, quota.LimitBytes, quota.UsedBytes, Math.Max(0, quota.LimitBytes - quota.UsedBytes), DateTime.SpecifyKind(quota.UpdatedAt, DateTimeKind.Utc));
}

/// <summary>The body of <c>PUT /api/v1/namespaces/{namespace}/quota</c>.</summary>
internal sealed record SetQuotaRequest(long? LimitBytes);

/// <summary>A namespace's usage and quota (the quota fields null when it has none).</summary>
internal sealed record NamespaceQuotaView(string Namespace, long? LimitBytes, long UsedBytes, long? RemainingBytes, DateTime? UpdatedAt);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(SetQuotaRequest))]
[JsonSerializable(typeof(NamespaceQuotaView))]
internal sealed partial class QuotaJson : JsonSerializerContext;
