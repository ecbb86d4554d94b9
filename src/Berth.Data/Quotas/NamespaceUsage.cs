using Berth.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace Berth.Data.Quotas;

/// <summary>
/// A namespace's usage: the bytes of the distinct blobs linked by its repositories (a layer two of them share counts
/// once; one linked in two namespaces counts in each). For a namespace with a quota it is kept in
/// <see cref="NamespaceQuota.UsedBytes"/>, changed by the caller's transaction that links or unlinks: those transactions
/// run one at a time (SQLite's one writer, PostgreSQL's transaction lock), so a check and the link it allows cannot
/// interleave with another push's and the count stays exact. Namespaces without a quota are counted on demand.
/// </summary>
public static class NamespaceUsage
{
    /// <summary>The usage recounted from the links (what <see cref="NamespaceQuota.UsedBytes"/> must equal).</summary>
    public static Task<long> CountAsync(this BerthDbContext db, string @namespace, CancellationToken cancellationToken) =>
        db.Database.SqlQuery<long>(
            $"""
            SELECT CAST(COALESCE(SUM(d."Size"), 0) AS BIGINT) AS "Value" FROM (
                SELECT MAX(l."Size") AS "Size" FROM "repository_blobs" AS l
                JOIN "repositories" AS r ON r."Id" = l."RepositoryId"
                WHERE r."Namespace" = {@namespace}
                GROUP BY l."Digest") AS d
            """).SingleAsync(cancellationToken);

    /// <summary>
    /// Whether a link of <paramref name="digest"/> (<paramref name="size"/> bytes) into the namespace would exceed its
    /// quota; null when it would not (no quota, the namespace holds the blob already, or it fits). Writes nothing: a
    /// check before the bytes are published; <see cref="ChargeAsync"/> decides in the link's transaction.
    /// </summary>
    public static async Task<QuotaRefusal?> RefusalAsync(this BerthDbContext db, string @namespace, string digest, long size, CancellationToken cancellationToken)
    {
        var quota = await db.FindQuotaAsync(@namespace, cancellationToken);
        if (quota is null || quota.UsedBytes + size <= quota.LimitBytes || await HoldsAsync(db, @namespace, digest, cancellationToken))
        {
            return null;
        }

        return new QuotaRefusal(@namespace, quota.UsedBytes, quota.LimitBytes, size);
    }

    /// <summary>The namespace's usage and quota when it uses more than its quota allows (a quota lowered below usage); else null.</summary>
    public static async Task<QuotaRefusal?> OverQuotaAsync(this BerthDbContext db, string @namespace, CancellationToken cancellationToken)
    {
        var quota = await db.FindQuotaAsync(@namespace, cancellationToken);
        return quota is not null && quota.UsedBytes > quota.LimitBytes ? new QuotaRefusal(@namespace, quota.UsedBytes, quota.LimitBytes, 0) : null;
    }

    /// <summary>
    /// Inside the transaction that is about to link <paramref name="digest"/> into a repository of the namespace: adds
    /// the blob's size to the usage if the namespace does not hold it yet. With <paramref name="enforce"/>, a link that
    /// would exceed the quota is refused instead (nothing written; the caller must not link).
    /// </summary>
    public static async Task<QuotaRefusal?> ChargeAsync(this BerthDbContext db, string @namespace, string digest, long size, bool enforce, CancellationToken cancellationToken)
    {
        var quota = await db.FindQuotaAsync(@namespace, cancellationToken);
        if (quota is null || await HoldsAsync(db, @namespace, digest, cancellationToken))
        {
            return null;
        }

        if (enforce && quota.UsedBytes + size > quota.LimitBytes)
        {
            return new QuotaRefusal(@namespace, quota.UsedBytes, quota.LimitBytes, size);
        }

        await db.NamespaceQuotas.Where(q => q.Namespace == @namespace)
            .ExecuteUpdateAsync(q => q.SetProperty(x => x.UsedBytes, x => x.UsedBytes + size), cancellationToken);
        return null;
    }

    /// <summary>
    /// Inside the transaction that is about to delete a repository's links (all of them, or the one to
    /// <paramref name="digest"/>): subtracts what only those links held in the namespace.
    /// </summary>
    public static async Task ReleaseLinksAsync(this BerthDbContext db, long repositoryId, string? digest, CancellationToken cancellationToken)
    {
        var @namespace = await db.Repositories.Where(r => r.Id == repositoryId).Select(r => r.Namespace).FirstOrDefaultAsync(cancellationToken);
        if (@namespace is null || !await db.NamespaceQuotas.AnyAsync(q => q.Namespace == @namespace, cancellationToken))
        {
            return;
        }

        var links = db.RepositoryBlobs.Where(l => l.RepositoryId == repositoryId);
        if (digest is not null)
        {
            links = links.Where(l => l.Digest == digest);
        }

        var released = await links
            .Where(l => !db.RepositoryBlobs.Any(o => o.Digest == l.Digest && o.RepositoryId != repositoryId
                && db.Repositories.Any(r => r.Id == o.RepositoryId && r.Namespace == @namespace)))
            .SumAsync(l => l.Size, cancellationToken);
        await SubtractAsync(db, @namespace, released, cancellationToken);
    }

    /// <summary>
    /// Inside the collector's transaction that is about to delete every link of <paramref name="digests"/>: each
    /// namespace with a quota that held one of them no longer does.
    /// </summary>
    public static async Task ReleaseBlobsAsync(this BerthDbContext db, IReadOnlyCollection<string> digests, CancellationToken cancellationToken)
    {
        var held = await (from l in db.RepositoryBlobs
                          where digests.Contains(l.Digest)
                          join r in db.Repositories on l.RepositoryId equals r.Id
                          where db.NamespaceQuotas.Any(q => q.Namespace == r.Namespace)
                          group l.Size by new { r.Namespace, l.Digest } into g
                          select new { g.Key.Namespace, Size = g.Max() })
            .ToListAsync(cancellationToken);
        foreach (var released in held.GroupBy(h => h.Namespace, StringComparer.Ordinal))
        {
            await SubtractAsync(db, released.Key, released.Sum(h => h.Size), cancellationToken);
        }
    }

    private static Task<bool> HoldsAsync(BerthDbContext db, string @namespace, string digest, CancellationToken cancellationToken) =>
        db.RepositoryBlobs.AnyAsync(
            l => l.Digest == digest && db.Repositories.Any(r => r.Id == l.RepositoryId && r.Namespace == @namespace), cancellationToken);

    private static async Task SubtractAsync(BerthDbContext db, string @namespace, long bytes, CancellationToken cancellationToken)
    {
        if (bytes > 0)
        {
            await db.NamespaceQuotas.Where(q => q.Namespace == @namespace)
                .ExecuteUpdateAsync(q => q.SetProperty(x => x.UsedBytes, x => x.UsedBytes - bytes), cancellationToken);
        }
    }
}
