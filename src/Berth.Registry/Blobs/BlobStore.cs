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

        await LinkAsync(db, defaults, caller, repository, digest, source.Value.Size, time.GetUtcNow().UtcDateTime, cancellationToken);
        return source.Value;
    }

    /// <summary>Records that <paramref name="repository"/> holds a blob already stored at its content address.</summary>
    internal static async Task LinkAsync(BerthDbContext db, RepositoryDefaults defaults, RegistryCaller caller, string repository, Digest digest, long size, DateTime now, CancellationToken cancellationToken)
    {
        var key = digest.ToString();
        var repositoryId = await db.GetOrCreateIdAsync(repository, defaults, now, caller.Subject, cancellationToken);
        if (!await db.Blobs.AnyAsync(b => b.Digest == key, cancellationToken))
        {
            db.Blobs.Add(new BlobRecord { Digest = key, Size = size, CreatedAt = now });
        }

        if (!await db.RepositoryBlobs.AnyAsync(l => l.RepositoryId == repositoryId && l.Digest == key, cancellationToken))
        {
            db.RepositoryBlobs.Add(new RepositoryBlob { RepositoryId = repositoryId, Digest = key, Size = size, CreatedAt = now });
        }

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // A concurrent push of the same blob linked it first; the outcome is the same.
            db.ChangeTracker.Clear();
        }
    }
}
