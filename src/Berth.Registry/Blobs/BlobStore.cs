using Berth.Data;
using Berth.Data.Entities;
using Berth.Data.Gc;
using Berth.Oci;
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

        // The link may have been the blob's last reference: it becomes a candidate for collection in the same commit.
        db.RepositoryBlobs.Remove(link);
        await db.SaveChangesAsync(cancellationToken);
        await db.AddBlobsAsync([key], time.GetUtcNow().UtcDateTime, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new BlobInfo(digest, link.Size);
    }

    public async Task<BlobInfo?> MountAsync(string repository, string fromRepository, Digest digest, CancellationToken cancellationToken)
    {
        var source = await StatAsync(fromRepository, digest, cancellationToken);
        if (!source.IsSuccess)
        {
            return null;
        }

        // The link is copied from the source's in one statement, so a mount racing the source's deletion either
        // links the blob or finds nothing and falls back to a session. It runs in a transaction, serialised with the
        // garbage collector's (SQLite's one writer; PostgreSQL's transaction lock): a collector that removed the blob
        // committed before, and then the blob row is gone and nothing is copied, or it reviews after and sees the new
        // link, younger than the grace period, which keeps the blob. A link that existed is renewed: a mount is a use.
        var key = digest.ToString();
        var now = time.GetUtcNow().UtcDateTime;
        var repositoryId = await db.GetOrCreateIdAsync(repository, defaults, now, caller.Subject, cancellationToken);
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            await db.Database.ExecuteSqlInterpolatedAsync(
                $"""
                INSERT INTO "repository_blobs" ("RepositoryId", "Digest", "Size", "CreatedAt")
                SELECT {repositoryId}, l."Digest", l."Size", {now} FROM "repository_blobs" AS l
                WHERE l."Digest" = {key} AND l."RepositoryId" = (SELECT r."Id" FROM "repositories" AS r WHERE r."Name" = {fromRepository})
                AND EXISTS (SELECT 1 FROM "blobs" AS b WHERE b."Digest" = {key})
                ON CONFLICT ("RepositoryId", "Digest") DO UPDATE SET "CreatedAt" = excluded."CreatedAt"
                """,
                cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        var mounted = await StatAsync(repository, digest, cancellationToken);
        return mounted.IsSuccess ? mounted.Value : null;
    }

    /// <summary>
    /// Records that <paramref name="repository"/> holds a blob already stored at its content address. The blob row
    /// and the link are each inserted if absent (an existing link is renewed): a concurrent push of the same blob, into
    /// this repository or another, can neither fail this one nor undo its link, and any other failure is not swallowed.
    /// One transaction, serialised with the garbage collector's, that also queues the blob as a candidate (an uploaded
    /// blob no manifest ever names is garbage once the grace period has passed). The caller holds the digest against
    /// collection while it publishes (<see cref="UploadSession.PublishingDigest"/>), so the collector cannot have
    /// removed the bytes between their publication and this link.
    /// </summary>
    internal static async Task LinkAsync(BerthDbContext db, RepositoryDefaults defaults, RegistryCaller caller, string repository, Digest digest, long size, DateTime now, CancellationToken cancellationToken)
    {
        var key = digest.ToString();
        var repositoryId = await db.GetOrCreateIdAsync(repository, defaults, now, caller.Subject, cancellationToken);

        // EF Core has no insert-if-absent; ON CONFLICT means the same on SQLite and PostgreSQL alike.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
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
        await transaction.CommitAsync(cancellationToken);
    }
}
