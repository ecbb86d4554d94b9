using System.Text.Json;
using Berth.Data;
using Berth.Data.Gc;
using Berth.Data.Quotas;
using Berth.Index.Events;
using Berth.Oci;
using Berth.Server.Hosting;
using Microsoft.EntityFrameworkCore;

namespace Berth.Server.Endpoints;

/// <summary>
/// A separate registry's side of seed scenario C: the index, having deleted a repository, asks here for its content
/// to go. Signed with the shared notify secret like the events (other direction); a verbatim replay is refused.
/// </summary>
internal static class RepositoryDeletionEndpoint
{
    private const int MaxBodyBytes = 64 * 1024;

    /// <summary>Maps the endpoint on a separate registry that shares a notify secret with its index; elsewhere nothing.</summary>
    public static void MapRepositoryDeletionEndpoint(this IEndpointRouteBuilder app, BerthOptions options)
    {
        if (options.Role == "registry" && options.NotifySecret is { Length: > 0 } secret)
        {
            app.MapDelete("/" + RegistryDeletionWorker.PathPrefix + "{**name}", (HttpContext context, string name, BerthDbContext db, TimeProvider time, CancellationToken ct) => DeleteAsync(context, name, db, secret, time, ct))
                .ExcludeFromDescription();
        }
    }

    private static async Task<IResult> DeleteAsync(HttpContext context, string name, BerthDbContext db, string secret, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var (body, refusal) = await EventEnvelope.ReadSignedAsync(context.Request, secret, now, MaxBodyBytes, cancellationToken);
        if (body is null)
        {
            return refusal!;
        }

        EventEnvelope.RepositoryDeletionRequest? request;
        try
        {
            request = JsonSerializer.Deserialize(body, EventJson.Default.RepositoryDeletionRequest);
        }
        catch (JsonException e)
        {
            return Results.Problem(e.Message, statusCode: StatusCodes.Status400BadRequest);
        }

        // The signed body names the repository too, so a signature for one name cannot be replayed against another.
        if (request?.Id is not { Length: > 0 } id || request.Repository != name || !RepositoryName.IsValid(name))
        {
            return Results.Problem("the signed request must name this repository, validly, and carry an id", statusCode: StatusCodes.Status400BadRequest);
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (!await db.TryRecordReceivedAsync(id, now.UtcDateTime, cancellationToken))
        {
            return Results.Problem("this request was received before", statusCode: StatusCodes.Status409Conflict);
        }

        // The row's delete cascades to tags, manifests and blob links; what they named is queued for garbage collection.
        if (await db.FindIdAsync(name, cancellationToken) is var repositoryId and not 0)
        {
            await db.AddRepositoryBlobsAsync(repositoryId, now.UtcDateTime, cancellationToken);
            await db.ReleaseLinksAsync(repositoryId, null, cancellationToken);
        }

        var deleted = await db.Repositories.Where(r => r.Name == name).ExecuteDeleteAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return deleted == 0 ? Results.NotFound() : Results.NoContent();
    }
}
