using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Data;
using Berth.Registry.Gc;
using Berth.Server.Api;
using Microsoft.EntityFrameworkCore;

namespace Berth.Server.Gc;

/// <summary><c>/api/v1/gc</c> (site administrators): the collector's settings, queues and last runs; run a pass now.</summary>
internal static class GcApi
{
    private const int ShownRuns = 20;

    // A run-now waits this long for a pass elsewhere (the worker, another node, the command) to end.
    private static readonly TimeSpan LeaseWait = TimeSpan.FromSeconds(30);

    public static void MapGcApi(this WebApplication app)
    {
        var api = app.MapGroup("/api/v1").AddEndpointFilter(ApiAuthentication.FilterAsync);
        api.MapGet("/gc", StatusAsync).RequireLogin().WithTags("Garbage collection")
            .Produces<GcStatus>().ProducesProblem(StatusCodes.Status403Forbidden)
            .WithSummary("Garbage collection: settings, queued candidates and the last runs (administrators)");
        api.MapPost("/gc", RunAsync).RequireLogin().WithTags("Garbage collection")
            .Produces<GcRun>().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Run a garbage-collection pass now and answer what it reclaimed (administrators); ?dryRun=true counts only and lists the tags retention would remove, ?grace=30m overrides the grace period");
    }

    private static async Task<IResult> StatusAsync(HttpContext http, BerthDbContext db, GcRunner runner, CancellationToken cancellationToken)
    {
        if (!http.User().ActsAsAdmin)
        {
            return ApiResults.Problem(StatusCodes.Status403Forbidden, "Forbidden", "only administrators may do this");
        }

        var runs = await db.GcRuns.AsNoTracking().OrderByDescending(r => r.Id).Take(ShownRuns).ToListAsync(cancellationToken);
        var settings = runner.Settings;
        var status = new GcStatus(
            Format(settings.Grace),
            settings.UntaggedAfter is { } untagged ? Format(untagged) : null,
            settings.Interval is { } interval ? Format(interval) : null,
            await db.GcBlobCandidates.CountAsync(c => c.DeletingSince == null, cancellationToken),
            await db.GcManifestCandidates.CountAsync(cancellationToken),
            await db.GcBlobCandidates.CountAsync(c => c.DeletingSince != null, cancellationToken),
            runs.Select(r => new GcRun(r.Id, r.Trigger, r.DryRun, Utc(r.StartedAt), Utc(r.FinishedAt), r.TagsUntagged, r.UploadsPurged, r.CandidatesReviewed, r.BlobsDeleted, r.BytesDeleted, r.ManifestsDeleted, r.Error, null)).ToList());
        return Results.Json(status, GcJson.Default.GcStatus);
    }

    private static async Task<IResult> RunAsync(HttpContext http, GcRunner runner, bool? dryRun, string? grace, CancellationToken cancellationToken)
    {
        if (!http.User().ActsAsAdmin)
        {
            return ApiResults.Problem(StatusCodes.Status403Forbidden, "Forbidden", "only administrators may do this");
        }

        TimeSpan? graceOverride = null;
        if (grace is not null)
        {
            if (!GcOptions.TryParseDuration(grace, out var parsed))
            {
                return ApiResults.Problem(StatusCodes.Status400BadRequest, "Invalid request", $"grace '{grace}' is not a duration (e.g. 0s, 30m, 24h)");
            }

            graceOverride = parsed;
        }

        var report = await runner.RunAsync("api", dryRun ?? false, graceOverride, LeaseWait, cancellationToken);
        return report is null
            ? ApiResults.Problem(StatusCodes.Status409Conflict, "Conflict", "another garbage-collection pass is running; try again when it has ended")
            : Results.Json(ToRun(report), GcJson.Default.GcRun);
    }

    internal static GcRun ToRun(GcReport r) =>
        new(r.RunId, r.Trigger, r.DryRun, Utc(r.StartedAt), Utc(r.FinishedAt), r.Untagged.Count, r.UploadsPurged, r.CandidatesReviewed, r.BlobsDeleted, r.BytesDeleted, r.ManifestsDeleted, null,
            r.Untagged.Select(u => new GcUntaggedTag(u.Repository, u.Tag, u.Digest, Utc(u.PushedAt))).ToList());

    private static DateTimeOffset Utc(DateTime at) => new(DateTime.SpecifyKind(at, DateTimeKind.Utc));

    private static string Format(TimeSpan duration) =>
        duration.TotalDays >= 1 && duration.TotalDays % 1 == 0 ? $"{duration.TotalDays:0}d"
        : duration.TotalHours >= 1 && duration.TotalHours % 1 == 0 ? $"{duration.TotalHours:0}h"
        : duration.TotalMinutes >= 1 && duration.TotalMinutes % 1 == 0 ? $"{duration.TotalMinutes:0}m"
        : $"{duration.TotalSeconds:0}s";
}

/// <summary>What <c>GET /api/v1/gc</c> answers; durations as configured (<c>24h</c>), null when off.</summary>
internal sealed record GcStatus(
    string Grace,
    string? UntaggedAfter,
    string? Interval,
    int QueuedBlobs,
    int QueuedManifests,
    int DeletionsPending,
    IReadOnlyList<GcRun> Runs);

/// <summary>
/// One pass: the tags retention removed, the idle upload sessions it purged, and what it reviewed and reclaimed (a dry run: would have). <see cref="Untagged"/>
/// lists those tags in the answer to a run-now (null in the status's list of runs).
/// </summary>
internal sealed record GcRun(
    long Id,
    string Trigger,
    bool DryRun,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    int TagsUntagged,
    int UploadsPurged,
    int CandidatesReviewed,
    int BlobsDeleted,
    long BytesDeleted,
    int ManifestsDeleted,
    string? Error,
    IReadOnlyList<GcUntaggedTag>? Untagged);

/// <summary>A tag a retention policy removed (would remove), where it pointed and when it was pushed.</summary>
internal sealed record GcUntaggedTag(string Repository, string Tag, string Digest, DateTimeOffset PushedAt);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(GcStatus))]
[JsonSerializable(typeof(GcRun))]
internal sealed partial class GcJson : JsonSerializerContext;
