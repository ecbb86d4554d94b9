using Berth.Data;
using Berth.Data.Entities;
using Berth.Data.Gc;
using Berth.Data.Quotas;
using Berth.Oci;
using Berth.Registry.Quotas;
using Berth.Registry.Storage;
using Microsoft.EntityFrameworkCore;

namespace Berth.Registry.Blobs;

internal sealed class BlobStore(BerthDbContext db, IStorageDriver storage, RepositoryDefaults defaults, RegistryCaller caller, TimeProvider time) : IBlobStore
{
    // Every blob HEAD and GET asks this; compiled once rather than rebuilt and looked up per request.
    private static readonly Func<BerthDbContext, string, string, CancellationToken, Task<long?>> LinkedBlobSize =
        EF.CompileAsyncQuery((BerthDbContext db, string repository, string digest, CancellationToken cancellationToken) =>
            db.RepositoryBlobs
                .Where(l => l.Digest == digest && db.Repositories.Any(r => r.Id == l.RepositoryId && r.Name == repository))
                .Select(l => (long?)l.Size)
                .FirstOrDefault());

    // A mount's source, read in its write transaction (no read before it: a mount that finds nothing costs one
    // transaction that writes nothing, one that finds its source one query less).
    private static readonly Func<BerthDbContext, string, string, CancellationToken, Task<long?>> MountableSize =
        EF.CompileAsyncQuery((BerthDbContext db, string repository, string digest, CancellationToken cancellationToken) =>
            (from l in db.RepositoryBlobs
             where l.Digest == digest && db.Blobs.Any(b => b.Digest == digest)
             join r in db.Repositories on l.RepositoryId equals r.Id
             where r.Name == repository
             select (long?)l.Size).FirstOrDefault());

    public async Task<Result<BlobInfo>> StatAsync(string repository, Digest digest, CancellationToken cancellationToken)
    {
        var key = digest.ToString();
        var size = await LinkedBlobSize(db, repository, key, cancellationToken);
        return size is { } s ? new BlobInfo(digest, s) : new OciError(OciErrorCode.BlobUnknown, Detail: new { digest = key });
    }

    public Task<DirectAccess?> GetDirectAccessAsync(Digest digest, CancellationToken cancellationToken) =>
        storage.GetDirectAccessAsync(StorageKeys.Blob(digest), cancellationToken);

    public Task<Stream?> OpenReadAsync(Digest digest, long offset, CancellationToken cancellationToken) =>
        storage.OpenReadAsync(StorageKeys.Blob(digest), offset, cancellationToken);

    public async Task<Result<BlobInfo>> UnlinkAsync(string repository, Digest digest, CancellationToken cancellationToken)
    {
        var key = digest.ToString();
        var repositoryId = await db.FindIdAsync(repository, cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var link = repositoryId == 0
            ? null
            : await db.RepositoryBlobs.FirstOrDefaultAsync(l => l.RepositoryId == repositoryId && l.Digest == key, cancellationToken);
        if (link is null)
        {
            return new OciError(OciErrorCode.BlobUnknown, Detail: new { digest = key });
        }

        // The link may have been the blob's last reference: it becomes a candidate for collection in the same commit,
        // and the namespace's usage drops if no other repository of it links the blob.
        await db.ReleaseLinksAsync(repositoryId, key, cancellationToken);
        db.RepositoryBlobs.Remove(link);
        await db.SaveChangesAsync(cancellationToken);
        await db.AddBlobsAsync([key], time.GetUtcNow().UtcDateTime, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new BlobInfo(digest, link.Size);
    }

    public async Task<Result<BlobInfo>?> MountAsync(string repository, string fromRepository, Digest digest, CancellationToken cancellationToken)
    {
        // The link is copied from the source's, read in the same transaction, so a mount racing the source's deletion
        // either links the blob or finds nothing and falls back to a session. The transaction is serialised with the
        // garbage collector's (SQLite's one writer; PostgreSQL's transaction lock): a collector that removed the blob
        // committed before, and then the blob row is gone and nothing is copied, or it reviews after and sees the new
        // link, younger than the grace period, which keeps the blob. A link that existed is renewed: a mount is a use.
        // A blob new to the namespace counts against its quota like an upload.
        // The repository's record is created in the link's transaction (one commit; none when nothing is mounted).
        var key = digest.ToString();
        var now = time.GetUtcNow().UtcDateTime;
        long size;
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            if (await MountableSize(db, fromRepository, key, cancellationToken) is not { } linked)
            {
                return null;
            }

            size = linked;
            var repositoryId = await db.GetOrCreateIdAsync(repository, defaults, now, caller.Subject, cancellationToken);
            if (await db.ChargeAsync(RepositoryRecords.NamespaceOf(repository), key, size, enforce: true, cancellationToken) is { } refusal)
            {
                return QuotaDenied.Error(refusal);
            }

            await db.Database.ExecuteSqlInterpolatedAsync(
                $"""
                INSERT INTO "repository_blobs" ("RepositoryId", "Digest", "Size", "CreatedAt") VALUES ({repositoryId}, {key}, {size}, {now})
                ON CONFLICT ("RepositoryId", "Digest") DO UPDATE SET "CreatedAt" = excluded."CreatedAt"
                """,
                cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        return new BlobInfo(digest, size);
    }

    /// <summary>
    /// Records that <paramref name="repository"/> holds a blob already stored at its content address. The blob row
    /// and the link are each inserted if absent (an existing link is renewed): a concurrent push of the same blob, into
    /// this repository or another, can neither fail this one nor undo its link, and any other failure is not swallowed.
    /// One transaction, serialised with the garbage collector's, that also queues the blob as a candidate (an uploaded
    /// blob no manifest ever names is garbage once the grace period has passed). The caller holds the digest against
    /// collection while it publishes (<see cref="UploadSession.PublishingDigest"/>), so the collector cannot have
    /// removed the bytes between their publication and this link. A blob new to the namespace is counted against its
    /// quota in the same transaction; with <paramref name="enforceQuota"/> one that does not fit is refused: nothing is
    /// linked or counted, and the published bytes are left to the collector (queued, as no row or link holds them).
    /// <paramref name="endingUpload"/>, an upload session that published the blob, is deleted in the same commit when
    /// the link is made (its hold ends as the link takes over).
    /// </summary>
    internal static async Task<QuotaRefusal?> LinkAsync(BerthDbContext db, RepositoryDefaults defaults, RegistryCaller caller, string repository, Digest digest, long size, bool enforceQuota, DateTime now, CancellationToken cancellationToken, string? endingUpload = null)
    {
        var key = digest.ToString();

        // EF Core has no insert-if-absent; ON CONFLICT means the same on SQLite and PostgreSQL alike. A repository's
        // first blob creates its record in this transaction.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var repositoryId = await db.GetOrCreateIdAsync(repository, defaults, now, caller.Subject, cancellationToken);
        if (await db.ChargeAsync(RepositoryRecords.NamespaceOf(repository), key, size, enforceQuota, cancellationToken) is { } refusal)
        {
            await db.AddBlobsAsync([key], now, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return refusal;
        }

        await db.Database.ExecuteSqlInterpolatedAsync(
            $"""INSERT INTO "blobs" ("Digest", "Size", "CreatedAt") VALUES ({key}, {size}, {now}) ON CONFLICT DO NOTHING""",
            cancellationToken);
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"""
            INSERT INTO "repository_blobs" ("RepositoryId", "Digest", "Size", "CreatedAt") VALUES ({repositoryId}, {key}, {size}, {now})
            ON CONFLICT ("RepositoryId", "Digest") DO UPDATE SET "CreatedAt" = excluded."CreatedAt"
            """,
            cancellationToken);
        await db.AddBlobsAsync([key], now, cancellationToken);
        if (endingUpload is not null)
        {
            await db.Uploads.Where(u => u.Id == endingUpload).ExecuteDeleteAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return null;
    }
}
