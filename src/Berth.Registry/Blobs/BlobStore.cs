using Berth.Data;
using Berth.Data.Entities;
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
        var link = repositoryId == 0
            ? null
            : await db.RepositoryBlobs.FirstOrDefaultAsync(l => l.RepositoryId == repositoryId && l.Digest == key, cancellationToken);
        if (link is null)
        {
            return new OciError(OciErrorCode.BlobUnknown, Detail: new { digest = key });
        }

        db.RepositoryBlobs.Remove(link);
        await db.SaveChangesAsync(cancellationToken);
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
        // links the blob (its bytes stay until garbage collection) or finds nothing and falls back to a session.
        var key = digest.ToString();
        var now = time.GetUtcNow().UtcDateTime;
        var repositoryId = await db.GetOrCreateIdAsync(repository, defaults, now, caller.Subject, cancellationToken);
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"""
            INSERT INTO "repository_blobs" ("RepositoryId", "Digest", "Size", "CreatedAt")
            SELECT {repositoryId}, l."Digest", l."Size", {now} FROM "repository_blobs" AS l
            WHERE l."Digest" = {key} AND l."RepositoryId" = (SELECT r."Id" FROM "repositories" AS r WHERE r."Name" = {fromRepository})
            ON CONFLICT DO NOTHING
            """,
            cancellationToken);
        var mounted = await StatAsync(repository, digest, cancellationToken);
        return mounted.IsSuccess ? mounted.Value : null;
    }

    /// <summary>
    /// Records that <paramref name="repository"/> holds a blob already stored at its content address. The blob row
    /// and the link are each inserted if absent, one statement each: a concurrent push of the same blob, into this
    /// repository or another, can neither fail this one nor undo its link, and any other failure is not swallowed.
    /// </summary>
    internal static async Task LinkAsync(BerthDbContext db, RepositoryDefaults defaults, RegistryCaller caller, string repository, Digest digest, long size, DateTime now, CancellationToken cancellationToken)
    {
        var key = digest.ToString();
        var repositoryId = await db.GetOrCreateIdAsync(repository, defaults, now, caller.Subject, cancellationToken);

        // EF Core has no insert-if-absent; ON CONFLICT DO NOTHING means that on SQLite and PostgreSQL alike.
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"""INSERT INTO "blobs" ("Digest", "Size", "CreatedAt") VALUES ({key}, {size}, {now}) ON CONFLICT DO NOTHING""",
            cancellationToken);
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"""INSERT INTO "repository_blobs" ("RepositoryId", "Digest", "Size", "CreatedAt") VALUES ({repositoryId}, {key}, {size}, {now}) ON CONFLICT DO NOTHING""",
            cancellationToken);
    }
}
