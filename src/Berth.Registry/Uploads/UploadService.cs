using System.Buffers;
using System.IO.Pipelines;
using System.Security.Cryptography;
using Berth.Data;
using Berth.Data.Entities;
using Berth.Oci;
using Berth.Registry.Blobs;
using Berth.Registry.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Berth.Registry.Uploads;

internal sealed partial class UploadService(
    BerthDbContext db,
    IStorageDriver storage,
    UploadHashStates states,
    RepositoryDefaults defaults,
    RegistryCaller caller,
    TimeProvider time,
    ILogger<UploadService> logger) : IUploadService
{
    // Bytes gathered from the request before they are hashed and written in one go. Must stay below
    // Kestrel's MaxRequestBufferSize (1 MiB), or the connection pauses while we wait for more.
    private const int WriteBatchBytes = 256 * 1024;

    private const string UploadsPrefix = "uploads";

    public async Task<UploadStatus> StartAsync(string repository, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var session = new UploadSession { Id = UploadId.New(), RepositoryName = repository, StartedAt = now, UpdatedAt = now };
        db.Uploads.Add(session);
        await db.SaveChangesAsync(cancellationToken);
        return new UploadStatus(session.Id, repository, 0);
    }

    public async Task<Result<UploadStatus>> GetStatusAsync(string repository, string uploadId, CancellationToken cancellationToken)
    {
        var session = await FindSessionAsync(repository, uploadId, cancellationToken);
        if (!session.IsSuccess)
        {
            return session.Error;
        }

        return new UploadStatus(uploadId, repository, await StoredSizeAsync(uploadId, cancellationToken));
    }

    public Task<Result<UploadStatus>> AppendAsync(string repository, string uploadId, ChunkRange range, PipeReader body, CancellationToken cancellationToken) =>
        WithSessionLockAsync(repository, uploadId, async entry =>
        {
            var appended = await AppendLockedAsync(entry, uploadId, range, body, cancellationToken);
            if (!appended.IsSuccess)
            {
                return appended.Error;
            }

            await db.Uploads.Where(u => u.Id == uploadId)
                .ExecuteUpdateAsync(u => u.SetProperty(x => x.UpdatedAt, time.GetUtcNow().UtcDateTime), cancellationToken);
            return (Result<UploadStatus>)new UploadStatus(uploadId, repository, appended.Value);
        }, cancellationToken);

    public Task<Result<BlobInfo>> CompleteAsync(string repository, string uploadId, Digest digest, ChunkRange range, PipeReader? body, CancellationToken cancellationToken) =>
        WithSessionLockAsync(repository, uploadId, async entry =>
        {
            long size;
            if (body is not null)
            {
                var appended = await AppendLockedAsync(entry, uploadId, range, body, cancellationToken);
                if (!appended.IsSuccess)
                {
                    return appended.Error;
                }

                size = appended.Value;
            }
            else
            {
                size = await StoredSizeAsync(uploadId, cancellationToken);
            }

            var actual = await ComputeDigestAsync(entry, uploadId, size, digest.Algorithm, cancellationToken);
            if (actual != digest)
            {
                LogDigestMismatch(logger, repository, digest.ToString(), actual.ToString());
                await DiscardAsync(uploadId, CancellationToken.None);
                return new OciError(OciErrorCode.DigestInvalid, Detail: new { expected = digest.ToString(), actual = actual.ToString() });
            }

            await PublishAsync(uploadId, digest, size, cancellationToken);
            await BlobStore.LinkAsync(db, defaults, caller, repository, digest, size, time.GetUtcNow().UtcDateTime, cancellationToken);
            await DiscardAsync(uploadId, cancellationToken);
            return (Result<BlobInfo>)new BlobInfo(digest, size);
        }, cancellationToken);

    public async Task<Result<BlobInfo>> UploadMonolithicAsync(string repository, Digest digest, long? length, PipeReader body, CancellationToken cancellationToken)
    {
        var status = await StartAsync(repository, cancellationToken);
        var result = await CompleteAsync(repository, status.Id, digest, new ChunkRange(null, length), body, cancellationToken);
        if (!result.IsSuccess)
        {
            // A failed single-request upload cannot be resumed: nothing may be left behind.
            await DiscardAsync(status.Id, CancellationToken.None);
        }

        return result;
    }

    public Task<Result<UploadStatus>> CancelAsync(string repository, string uploadId, CancellationToken cancellationToken) =>
        WithSessionLockAsync(repository, uploadId, async _ =>
        {
            await DiscardAsync(uploadId, cancellationToken);
            return (Result<UploadStatus>)new UploadStatus(uploadId, repository, 0);
        }, cancellationToken);

    public async Task<int> PurgeAbandonedAsync(DateTime idleSince, CancellationToken cancellationToken)
    {
        var stale = await db.Uploads.Where(u => u.UpdatedAt < idleSince).Select(u => u.Id).ToListAsync(cancellationToken);
        foreach (var id in stale)
        {
            var entry = states.Get(id);
            if (!await entry.Lock.WaitAsync(0, cancellationToken))
            {
                continue; // bytes are arriving right now: not abandoned
            }

            try
            {
                await DiscardAsync(id, cancellationToken);
            }
            finally
            {
                entry.Lock.Release();
            }
        }

        return stale.Count;
    }

    public async Task<IReadOnlyList<string>> FindOrphanedDataAsync(CancellationToken cancellationToken)
    {
        var stored = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var key in storage.ListAsync(UploadsPrefix, cancellationToken))
        {
            // uploads/<id>/…: anything else there is not ours to judge.
            if (!key.StartsWith(UploadsPrefix + "/", StringComparison.Ordinal))
            {
                continue;
            }

            var rest = key.AsSpan(UploadsPrefix.Length + 1);
            var slash = rest.IndexOf('/');
            var id = (slash < 0 ? rest : rest[..slash]).ToString();
            if (UploadId.IsValid(id))
            {
                stored.Add(id);
            }
        }

        if (stored.Count == 0)
        {
            return [];
        }

        var ids = stored.ToList();
        var live = await db.Uploads.Where(u => ids.Contains(u.Id)).Select(u => u.Id).ToListAsync(cancellationToken);
        stored.ExceptWith(live);
        return [.. stored];
    }

    public async Task<bool> DeleteOrphanedDataAsync(string uploadId, CancellationToken cancellationToken)
    {
        if (!UploadId.IsValid(uploadId))
        {
            return false;
        }

        var entry = states.Get(uploadId);
        if (!await entry.Lock.WaitAsync(0, cancellationToken))
        {
            return false; // a request holds it right now
        }

        try
        {
            if (await db.Uploads.AnyAsync(u => u.Id == uploadId, cancellationToken))
            {
                return false;
            }

            states.Remove(uploadId);
            await storage.DeleteAsync(StorageKeys.Upload(uploadId), cancellationToken);
            return true;
        }
        finally
        {
            entry.Lock.Release();
        }
    }

    /// <summary>Runs <paramref name="work"/> on an existing session of <paramref name="repository"/>, holding the upload's lock.</summary>
    private async Task<Result<T>> WithSessionLockAsync<T>(string repository, string uploadId, Func<UploadHashStates.Entry, Task<Result<T>>> work, CancellationToken cancellationToken)
    {
        var session = await FindSessionAsync(repository, uploadId, cancellationToken);
        if (!session.IsSuccess)
        {
            return session.Error;
        }

        var entry = states.Get(uploadId);
        await entry.Lock.WaitAsync(cancellationToken);
        try
        {
            // Read again under the lock: a request that waited here behind the PUT completing (or the DELETE
            // cancelling) this upload must find it gone, not write bytes no session will ever claim.
            if (!await db.Uploads.AnyAsync(u => u.Id == uploadId, cancellationToken))
            {
                return new OciError(OciErrorCode.BlobUploadUnknown);
            }

            return await work(entry);
        }
        finally
        {
            entry.Lock.Release();
        }
    }

    private async Task<Result<UploadSession>> FindSessionAsync(string repository, string uploadId, CancellationToken cancellationToken)
    {
        if (!UploadId.IsValid(uploadId))
        {
            return new OciError(OciErrorCode.BlobUploadUnknown);
        }

        var session = await db.Uploads.AsNoTracking().FirstOrDefaultAsync(u => u.Id == uploadId, cancellationToken);
        return session is not null && session.RepositoryName == repository
            ? session
            : new OciError(OciErrorCode.BlobUploadUnknown);
    }

    private async Task<long> StoredSizeAsync(string uploadId, CancellationToken cancellationToken) =>
        await storage.StatAsync(StorageKeys.UploadData(uploadId), cancellationToken) ?? 0;

    /// <summary>Streams the request body into the upload area, hashing as it goes. Returns the new size.</summary>
    private async Task<Result<long>> AppendLockedAsync(UploadHashStates.Entry entry, string uploadId, ChunkRange range, PipeReader body, CancellationToken cancellationToken)
    {
        var size = await StoredSizeAsync(uploadId, cancellationToken);
        if (range.Start is { } start && start != size)
        {
            return new OciError(OciErrorCode.RangeInvalid, $"chunk starts at {start} but the upload has {size} bytes", new { offset = size });
        }

        var hash = await EnsureHashAsync(entry, uploadId, size, cancellationToken);
        await using var writer = await storage.OpenWriterAsync(StorageKeys.UploadData(uploadId), append: true, cancellationToken);
        long written;
        try
        {
            written = await CopyAsync(body, writer, hash, cancellationToken);
            await writer.CommitAsync(cancellationToken);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            // The client went away or sent less than it declared. What reached the disk stays (the upload
            // can be resumed from the offset a status request reports); the running hash may be ahead of
            // the disk, so forget it and rebuild it from the stored bytes next time.
            entry.Reset();
            LogBodyAborted(logger, uploadId, e.Message);
            return new OciError(OciErrorCode.BlobUploadInvalid, "the request body ended before its declared length");
        }
        catch
        {
            entry.Reset();
            throw;
        }

        entry.Set(hash, size + written);
        if (range.Length is { } length && length != written)
        {
            return new OciError(OciErrorCode.SizeInvalid, $"chunk declared {length} bytes but carried {written}");
        }

        return size + written;
    }

    private static async Task<long> CopyAsync(PipeReader body, IStorageWriter writer, IncrementalHash hash, CancellationToken cancellationToken)
    {
        long total = 0;
        while (true)
        {
            var result = await body.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (buffer.Length < WriteBatchBytes && !result.IsCompleted)
            {
                // Let more bytes gather in the pipe: fewer, larger writes.
                body.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }

            foreach (var segment in buffer)
            {
                hash.AppendData(segment.Span);
            }

            await writer.WriteAsync(buffer, cancellationToken);
            total += buffer.Length;
            body.AdvanceTo(buffer.End);
            if (result.IsCompleted)
            {
                return total;
            }
        }
    }

    /// <summary>The SHA-256 state for the first <paramref name="size"/> bytes, rebuilt from storage when this process lacks it.</summary>
    private async Task<IncrementalHash> EnsureHashAsync(UploadHashStates.Entry entry, string uploadId, long size, CancellationToken cancellationToken)
    {
        if (entry.Sha256 is { } current && entry.Offset == size)
        {
            return current;
        }

        var hash = await HashStoredAsync(uploadId, size, DigestAlgorithm.Sha256, cancellationToken);
        entry.Set(hash, size);
        return hash;
    }

    private async Task<Digest> ComputeDigestAsync(UploadHashStates.Entry entry, string uploadId, long size, DigestAlgorithm algorithm, CancellationToken cancellationToken)
    {
        if (algorithm == DigestAlgorithm.Sha256)
        {
            var hash = await EnsureHashAsync(entry, uploadId, size, cancellationToken);
            return Digest.FromHash(algorithm, hash.GetCurrentHash());
        }

        // Uploads are hashed with SHA-256 as they stream; another algorithm is only known at the end.
        using var other = await HashStoredAsync(uploadId, size, algorithm, cancellationToken);
        return Digest.FromHash(algorithm, other.GetCurrentHash());
    }

    private async Task<IncrementalHash> HashStoredAsync(string uploadId, long size, DigestAlgorithm algorithm, CancellationToken cancellationToken)
    {
        var hash = algorithm.CreateHash();
        if (size == 0)
        {
            return hash;
        }

        await using var stream = await storage.OpenReadAsync(StorageKeys.UploadData(uploadId), 0, cancellationToken)
            ?? throw new InvalidOperationException($"upload {uploadId} has {size} bytes but no data");
        var buffer = ArrayPool<byte>.Shared.Rent(1024 * 1024);
        try
        {
            var remaining = size;
            while (remaining > 0)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)), cancellationToken);
                if (read == 0)
                {
                    throw new InvalidOperationException($"upload {uploadId} is shorter than its recorded size");
                }

                hash.AppendData(buffer, 0, read);
                remaining -= read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return hash;
    }

    /// <summary>Moves verified bytes to their content address; if the same bytes are already there, keeps those.</summary>
    private async Task PublishAsync(string uploadId, Digest digest, long size, CancellationToken cancellationToken)
    {
        var blobKey = StorageKeys.Blob(digest);
        if (await storage.StatAsync(blobKey, cancellationToken) == size)
        {
            return;
        }

        if (size == 0 && await storage.StatAsync(StorageKeys.UploadData(uploadId), cancellationToken) is null)
        {
            await using var empty = await storage.OpenWriterAsync(blobKey, append: false, cancellationToken);
            await empty.CommitAsync(cancellationToken);
            return;
        }

        await storage.MoveAsync(StorageKeys.UploadData(uploadId), blobKey, cancellationToken);
    }

    private async Task DiscardAsync(string uploadId, CancellationToken cancellationToken)
    {
        states.Remove(uploadId);
        await storage.DeleteAsync(StorageKeys.Upload(uploadId), cancellationToken);
        await db.Uploads.Where(u => u.Id == uploadId).ExecuteDeleteAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Upload to {Repository} rejected: digest {Expected} named, content is {Actual}")]
    private static partial void LogDigestMismatch(ILogger logger, string repository, string expected, string actual);

    [LoggerMessage(Level = LogLevel.Information, Message = "Upload {UploadId} body ended early: {Reason}")]
    private static partial void LogBodyAborted(ILogger logger, string uploadId, string reason);
}
