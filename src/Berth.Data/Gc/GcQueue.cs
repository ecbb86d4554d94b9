using Microsoft.EntityFrameworkCore;

namespace Berth.Data.Gc;

/// <summary>
/// Adds garbage-collection candidates, inside the caller's transaction (the change that may have removed a blob's or
/// manifest's last reference commits with its candidate, or neither does). Upserts: a candidate already queued only has
/// its time moved to now, so repeated changes never pile up rows; one already being deleted is left alone. The same SQL
/// on SQLite and PostgreSQL.
/// </summary>
public static class GcQueue
{
    public static async Task AddBlobsAsync(this BerthDbContext db, IEnumerable<string> digests, DateTime now, CancellationToken cancellationToken)
    {
        foreach (var digest in digests.Distinct(StringComparer.Ordinal))
        {
            await db.Database.ExecuteSqlInterpolatedAsync(
                $"""
                INSERT INTO "gc_blob_candidates" ("Digest", "QueuedAt", "Size") VALUES ({digest}, {now}, 0)
                ON CONFLICT ("Digest") DO UPDATE SET "QueuedAt" = excluded."QueuedAt"
                WHERE "gc_blob_candidates"."DeletingSince" IS NULL
                """,
                cancellationToken);
        }
    }

    public static async Task AddManifestsAsync(this BerthDbContext db, long repositoryId, IEnumerable<string> digests, DateTime now, CancellationToken cancellationToken)
    {
        foreach (var digest in digests.Distinct(StringComparer.Ordinal))
        {
            await db.Database.ExecuteSqlInterpolatedAsync(
                $"""
                INSERT INTO "gc_manifest_candidates" ("RepositoryId", "Digest", "QueuedAt") VALUES ({repositoryId}, {digest}, {now})
                ON CONFLICT ("RepositoryId", "Digest") DO UPDATE SET "QueuedAt" = excluded."QueuedAt"
                """,
                cancellationToken);
        }
    }

    /// <summary>
    /// Every blob a repository links or its manifests name, before the repository's row (and so, by cascade, its links
    /// and manifests) is deleted in the same transaction.
    /// </summary>
    public static Task AddRepositoryBlobsAsync(this BerthDbContext db, long repositoryId, DateTime now, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlInterpolatedAsync(
            $"""
            INSERT INTO "gc_blob_candidates" ("Digest", "QueuedAt", "Size")
            SELECT DISTINCT d."Digest", {now}, 0 FROM (
                SELECT l."Digest" FROM "repository_blobs" AS l WHERE l."RepositoryId" = {repositoryId}
                UNION
                SELECT r."Digest" FROM "manifest_references" AS r JOIN "manifests" AS m ON m."Id" = r."ManifestId"
                WHERE m."RepositoryId" = {repositoryId} AND NOT r."IsManifest") AS d
            WHERE true
            ON CONFLICT ("Digest") DO UPDATE SET "QueuedAt" = excluded."QueuedAt"
            WHERE "gc_blob_candidates"."DeletingSince" IS NULL
            """,
            cancellationToken);
}
