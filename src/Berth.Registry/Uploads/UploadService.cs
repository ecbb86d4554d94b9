using System.Buffers;
using System.IO.Pipelines;
using Berth.Data;
using Berth.Data.Entities;
using Berth.Data.Quotas;
using Berth.Oci;
using Berth.Registry.Blobs;
using Berth.Registry.Gc;
using Berth.Registry.Quotas;
using Berth.Registry.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Berth.Registry.Uploads;

/// <summary>
/// Uploads whose whole state is the session row and the storage writer's checkpoint, so any node can take the next chunk.
/// A request first claims the session at the offset it read (<see cref="UploadClaim"/>); a second request meanwhile,
/// on any node, answers 416. The chunk streams through SHA-256 into the writer, which is suspended, and one UPDATE naming
/// the claim advances the offset, the writer's checkpoint and the hash state together. Only the final PUT commits the writer.
/// A completing request writes two rows: its claim, which also holds the digest it names against collection
/// (<see cref="PublishHold"/>), and, once the bytes are published, the link's transaction, which ends the session.
/// </summary>
internal sealed partial class UploadService(
    BerthDbContext db,
    IStorageDriver storage,
    UploadSettings settings,
    PublishGate publishGate,
    RepositoryDefaults defaults,
    RegistryCaller caller,
    TimeProvider time,
    ILogger<UploadService> logger) : IUploadService
{
    private const string UploadsPrefix = "uploads";

    private static readonly TimeSpan SettlePoll = TimeSpan.FromMilliseconds(25);

    // Every request on a session reads it first: compiled once.
    private static readonly Func<BerthDbContext, string, CancellationToken, Task<UploadSession?>> SessionOf =
        EF.CompileAsyncQuery((BerthDbContext db, string uploadId, CancellationToken cancellationToken) =>
            db.Uploads.AsNoTracking().FirstOrDefault(u => u.Id == uploadId));

    public async Task<UploadStatus> StartAsync(string repository, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var session = new UploadSession { Id = UploadId.New(), RepositoryName = repository, StartedAt = now, UpdatedAt = now };
        db.Uploads.Add(session);
        await db.SaveChangesAsync(cancellationToken);
        return new UploadStatus(session.Id, repository, 0);
    }

    /// <summary>A new session, already claimed by this request and (unless a deletion of it is under way) holding <paramref name="digest"/>.</summary>
    private async Task<UploadClaim> StartClaimedAsync(string repository, Digest digest, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var token = UploadId.New();
        var session = new UploadSession { Id = UploadId.New(), RepositoryName = repository, StartedAt = now, UpdatedAt = now, ClaimToken = token, ClaimedAt = now };
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (!await PublishHold.DeletionUnderWayAsync(db, digest, cancellationToken))
        {
            session.PublishingDigest = digest.ToString();
        }

        db.Uploads.Add(session);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        db.Entry(session).State = EntityState.Detached;
        return new UploadClaim(db, time, settings, session, token, holds: session.PublishingDigest is not null);
    }

    public async Task<Result<UploadStatus>> GetStatusAsync(string repository, string uploadId, CancellationToken cancellationToken)
    {
        var session = await SettledSessionAsync(repository, uploadId, cancellationToken);
        return session.IsSuccess ? new UploadStatus(uploadId, repository, session.Value.Size) : session.Error;
    }

    public async Task<Result<UploadStatus>> AppendAsync(string repository, string uploadId, ChunkRange range, PipeReader body, CancellationToken cancellationToken)
    {
        var claimed = await ClaimAsync(repository, uploadId, range.Start, null, cancellationToken);
        if (!claimed.IsSuccess)
        {
            return claimed.Error;
        }

        await using var claim = claimed.Value;
        var received = await ReceiveAsync(claim, range, body, commit: false, cancellationToken);
        return received.IsSuccess ? new UploadStatus(uploadId, repository, received.Value.Size) : received.Error;
    }

    public async Task<Result<BlobInfo>> CompleteAsync(string repository, string uploadId, Digest digest, ChunkRange range, PipeReader? body, CancellationToken cancellationToken)
    {
        var claimed = await ClaimAsync(repository, uploadId, body is null ? null : range.Start, digest, cancellationToken);
        if (!claimed.IsSuccess)
        {
            return claimed.Error;
        }

        await using var claim = claimed.Value;
        return await FinishAsync(repository, claim, digest, range, body, cancellationToken);
    }

    /// <summary>Receives the last bytes of a claimed upload, verifies them, publishes them and links the blob.</summary>
    private async Task<Result<BlobInfo>> FinishAsync(string repository, UploadClaim claim, Digest digest, ChunkRange range, PipeReader? body, CancellationToken cancellationToken)
    {
        var uploadId = claim.Session.Id;
        var received = await ReceiveAsync(claim, range, body, commit: true, cancellationToken);
        if (!received.IsSuccess)
        {
            return received.Error;
        }

        var (size, sha256) = received.Value;
        var actual = digest.Algorithm == DigestAlgorithm.Sha256 && sha256 is not null
            ? Digest.FromHash(DigestAlgorithm.Sha256, sha256)
            : await HashStoredAsync(uploadId, size, digest.Algorithm, cancellationToken);
        if (actual != digest)
        {
            LogDigestMismatch(logger, repository, digest.ToString(), actual.ToString());
            await DiscardAsync(uploadId, CancellationToken.None);
            claim.Ended();
            return new OciError(OciErrorCode.DigestInvalid, Detail: new { expected = digest.ToString(), actual = actual.ToString() });
        }

        // A blob that would take the namespace over its quota is refused before its bytes are published; the link's
        // transaction decides again (a concurrent push may have taken the room meanwhile). Refused, the upload ends.
        var @namespace = RepositoryRecords.NamespaceOf(repository);
        if (await db.RefusalAsync(@namespace, digest.ToString(), size, cancellationToken) is { } early)
        {
            return await RefuseAsync(uploadId, claim, early);
        }

        // Held by the claim unless a deletion of the digest was under way then: this waits it out.
        if (!claim.Holds && !await HoldForPublishAsync(uploadId, digest, cancellationToken))
        {
            // 503: the client retries the upload (rare: a collector died between removing the blob and its bytes).
            return new OciError(OciErrorCode.Unavailable, "the blob is being garbage-collected; retry shortly", new { digest = digest.ToString() });
        }

        await PublishAsync(uploadId, digest, size, cancellationToken);
        if (await BlobStore.LinkAsync(db, defaults, caller, repository, digest, size, enforceQuota: true, time.GetUtcNow().UtcDateTime, cancellationToken, endingUpload: uploadId) is { } refusal)
        {
            return await RefuseAsync(uploadId, claim, refusal);
        }

        // The link's transaction deleted the session's row; its (now empty) storage goes after.
        claim.Ended();
        await storage.DeleteAsync(StorageKeys.Upload(uploadId), cancellationToken);
        return new BlobInfo(digest, size);
    }

    public async Task<Result<BlobInfo>> UploadMonolithicAsync(string repository, Digest digest, long? length, PipeReader body, CancellationToken cancellationToken)
    {
        // The session is created claimed by this request and holding the digest: one row written before the bytes.
        var claim = await StartClaimedAsync(repository, digest, cancellationToken);
        var uploadId = claim.Session.Id;
        Result<BlobInfo> result;
        try
        {
            await using (claim)
            {
                result = await FinishAsync(repository, claim, digest, new ChunkRange(null, length), body, cancellationToken);
            }
        }
        catch (IOException e) when (DiskFull.Is(e))
        {
            await DiscardAsync(uploadId, CancellationToken.None);
            throw;
        }

        if (!result.IsSuccess)
        {
            // A failed single-request upload cannot be resumed: nothing may be left behind.
            await DiscardAsync(uploadId, CancellationToken.None);
        }

        return result;
    }

    public async Task<Result<UploadStatus>> CancelAsync(string repository, string uploadId, CancellationToken cancellationToken)
    {
        var session = await FindSessionAsync(repository, uploadId, cancellationToken);
        if (!session.IsSuccess)
        {
            return session.Error;
        }

        // A request writing it now finds its claim gone when it tries to advance, and removes what it wrote.
        await DiscardAsync(uploadId, cancellationToken);
        return new UploadStatus(uploadId, repository, 0);
    }

    public async Task<int> PurgeAbandonedAsync(DateTime idleSince, CancellationToken cancellationToken)
    {
        var stale = await db.Uploads.Where(u => u.UpdatedAt < idleSince).Select(u => u.Id).ToListAsync(cancellationToken);
        var purged = 0;
        foreach (var id in stale)
        {
            // Still idle at the moment of deletion: a request that claimed it since (claims touch UpdatedAt) keeps it.
            if (await db.Uploads.Where(u => u.Id == id && u.UpdatedAt < idleSince).ExecuteDeleteAsync(cancellationToken) == 1)
            {
                await storage.DeleteAsync(StorageKeys.Upload(id), cancellationToken);
                purged++;
            }
        }

        return purged;
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
        if (!UploadId.IsValid(uploadId) || await db.Uploads.AnyAsync(u => u.Id == uploadId, cancellationToken))
        {
            return false;
        }

        await storage.DeleteAsync(StorageKeys.Upload(uploadId), cancellationToken);
        return true;
    }

    /// <summary>
    /// Claims the session for this request at <paramref name="start"/> (or wherever it stands). Fails with 404 when the
    /// session is gone, 416 when the offset is elsewhere or another live request holds it. A completing request names
    /// the digest it will publish: the claim then holds it too (<see cref="UploadClaim.Holds"/>) in the same commit,
    /// unless a deletion of it is under way.
    /// The claim's writes here and in <see cref="UploadClaim"/> are plain SQL: they run on every PATCH and PUT, and
    /// LINQ's ExecuteUpdate paid its expression's parameter extraction and cache lookup on each call (perf, 100-layer
    /// skopeo pushes: 7 % of the server's CPU in those three updates).
    /// </summary>
    private async Task<Result<UploadClaim>> ClaimAsync(string repository, string uploadId, long? start, Digest? publishing, CancellationToken cancellationToken)
    {
        var found = await SettledSessionAsync(repository, uploadId, cancellationToken);
        if (!found.IsSuccess)
        {
            return found.Error;
        }

        var session = found.Value;
        var offset = start ?? session.Size;
        if (offset != session.Size)
        {
            return OffsetError(offset, session.Size);
        }

        var token = UploadId.New();
        var now = time.GetUtcNow().UtcDateTime;
        var staleBefore = now - settings.ClaimTimeout;
        int claimed;
        string? held = null;
        if (publishing is { } digest)
        {
            // Serialised with the collector's transactions, as PublishHold's: a deletion committed later sees the hold.
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            held = await PublishHold.DeletionUnderWayAsync(db, digest, cancellationToken) ? null : digest.ToString();
            claimed = await db.Database.ExecuteSqlInterpolatedAsync(
                $"""
                UPDATE "uploads" SET "ClaimToken" = {token}, "ClaimedAt" = {now}, "UpdatedAt" = {now}, "PublishingDigest" = {held}
                WHERE "Id" = {uploadId} AND "Size" = {offset} AND ("ClaimToken" IS NULL OR "ClaimedAt" < {staleBefore})
                """,
                cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        else
        {
            claimed = await db.Database.ExecuteSqlInterpolatedAsync(
                $"""
                UPDATE "uploads" SET "ClaimToken" = {token}, "ClaimedAt" = {now}, "UpdatedAt" = {now}
                WHERE "Id" = {uploadId} AND "Size" = {offset} AND ("ClaimToken" IS NULL OR "ClaimedAt" < {staleBefore})
                """,
                cancellationToken);
        }

        if (claimed == 1)
        {
            return new UploadClaim(db, time, settings, session, token, holds: held is not null);
        }

        var current = await db.Uploads.Where(u => u.Id == uploadId).Select(u => (long?)u.Size).FirstOrDefaultAsync(cancellationToken);
        return current switch
        {
            null => new OciError(OciErrorCode.BlobUploadUnknown),
            { } size when size != offset => OffsetError(offset, size),
            { } size => new OciError(OciErrorCode.RangeInvalid, "another request is writing this upload", new { offset = size }),
        };
    }

    /// <summary>
    /// Streams <paramref name="body"/> (if any) into the claimed upload. With <paramref name="commit"/> a complete body
    /// makes the stored object final and the claim is kept for the caller; otherwise, and whenever the body ends early,
    /// the writer is suspended and the offset advanced to every byte both stored and hashed, so the client can resume.
    /// </summary>
    private async Task<Result<Received>> ReceiveAsync(UploadClaim claim, ChunkRange range, PipeReader? body, bool commit, CancellationToken cancellationToken)
    {
        var session = claim.Session;
        var uploadId = session.Id;
        if (session.Size == 0)
        {
            await UploadsFolder.EnsureAsync(storage, cancellationToken);
        }

        await using var writer = await storage.OpenWriterAsync(StorageKeys.Upload(uploadId), new WriterCheckpoint(session.Size, session.StorageState), cancellationToken);
        if (writer is null)
        {
            // The stored bytes are gone (deleted by hand, or the upload was discarded as we claimed it): nothing to resume.
            LogDataMissing(logger, uploadId, session.Size);
            await DiscardAsync(uploadId, CancellationToken.None);
            claim.Ended();
            return new OciError(OciErrorCode.BlobUploadUnknown, "the upload's data is gone; start again");
        }

        // Known for a fresh upload, or carried over from the last chunk on whichever node took it; else computed at the end.
        using var hash = session.Size == 0 ? ResumableSha256.Create() : session.HashState is { } state ? ResumableSha256.Import(state) : null;
        CopyOutcome outcome;
        try
        {
            outcome = body is null
                ? new CopyOutcome(0, null)
                : await ChunkCopy.CopyAsync(body, writer, hash, claim.KeepAsync, cancellationToken);
        }
        catch (IOException e) when (DiskFull.Is(e))
        {
            // The disk filled up mid-chunk: give the space back at once (the upload returns to its last recorded offset,
            // still resumable), so the database, on the same disk, can record that and other requests go on.
            await writer.DisposeAsync();
            await TruncateToCheckpointAsync(session);
            throw;
        }

        if (outcome.StoppedBecause is { } reason)
        {
            LogBodyAborted(logger, uploadId, reason);
        }

        var sizeError = outcome.StoppedBecause is null && range.Length is { } declared && declared != outcome.Written
            ? new OciError(OciErrorCode.SizeInvalid, $"chunk declared {declared} bytes but carried {outcome.Written}")
            : null;
        if (commit && outcome.StoppedBecause is null && sizeError is null)
        {
            await writer.CommitAsync(cancellationToken);
            return new Received(writer.Size, hash?.GetCurrentHash());
        }

        // After an aborted body the request's token is cancelled, yet what arrived must still be recorded.
        var checkpoint = await writer.SuspendAsync(CancellationToken.None);
        if (!await claim.AdvanceAsync(checkpoint, hash?.Export(), CancellationToken.None))
        {
            return await LostClaimErrorAsync(uploadId, CancellationToken.None);
        }

        if (outcome.StoppedBecause is not null)
        {
            return new OciError(OciErrorCode.BlobUploadInvalid, "the request body ended before its declared length");
        }

        return sizeError is not null ? sizeError : new Received(checkpoint.Size, null);
    }

    /// <summary>Drops what a failed chunk wrote past the session's checkpoint (reopening the writer there truncates it).</summary>
    private async Task TruncateToCheckpointAsync(UploadSession session)
    {
        var key = StorageKeys.Upload(session.Id);
        if (await storage.OpenWriterAsync(key, new WriterCheckpoint(session.Size, session.StorageState), CancellationToken.None) is { } reopened)
        {
            await using (reopened)
            {
                await reopened.SuspendAsync(CancellationToken.None);
            }
        }

        LogDiskFull(logger, session.Id, session.Size);
    }

    /// <summary>A request lost its claim while writing: the upload was cancelled, completed or taken over meanwhile.</summary>
    private async Task<OciError> LostClaimErrorAsync(string uploadId, CancellationToken cancellationToken)
    {
        var size = await db.Uploads.Where(u => u.Id == uploadId).Select(u => (long?)u.Size).FirstOrDefaultAsync(cancellationToken);
        if (size is null)
        {
            // Ended meanwhile: what this request wrote (perhaps re-creating the upload's data) belongs to no session.
            await storage.DeleteAsync(StorageKeys.Upload(uploadId), cancellationToken);
            return new OciError(OciErrorCode.BlobUploadUnknown);
        }

        return new OciError(OciErrorCode.RangeInvalid, "another request took this upload over", new { offset = size });
    }

    private static OciError OffsetError(long start, long size) =>
        new(OciErrorCode.RangeInvalid, $"chunk starts at {start} but the upload has {size} bytes", new { offset = size });

    /// <summary>
    /// The session once no live request holds it, or as it stands after <see cref="UploadSettings.SettleWait"/>. A request
    /// whose client just went away records what it stored a moment after the client sees the connection drop: the
    /// client's status request, or its next chunk, must see that rather than be told the upload is busy.
    /// </summary>
    private async Task<Result<UploadSession>> SettledSessionAsync(string repository, string uploadId, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        while (true)
        {
            var found = await FindSessionAsync(repository, uploadId, cancellationToken);
            if (!found.IsSuccess || found.Value.ClaimToken is null || found.Value.ClaimedAt < time.GetUtcNow().UtcDateTime - settings.ClaimTimeout ||
                time.GetElapsedTime(started) >= settings.SettleWait)
            {
                return found;
            }

            await Task.Delay(SettlePoll, time, cancellationToken);
        }
    }

    private async Task<Result<UploadSession>> FindSessionAsync(string repository, string uploadId, CancellationToken cancellationToken)
    {
        if (!UploadId.IsValid(uploadId))
        {
            return new OciError(OciErrorCode.BlobUploadUnknown);
        }

        var session = await SessionOf(db, uploadId, cancellationToken);
        return session is not null && session.RepositoryName == repository
            ? session
            : new OciError(OciErrorCode.BlobUploadUnknown);
    }

    /// <summary>The digest of a committed upload, read back once: another algorithm than SHA-256, or no hash state kept.</summary>
    private async Task<Digest> HashStoredAsync(string uploadId, long size, DigestAlgorithm algorithm, CancellationToken cancellationToken)
    {
        using var hash = algorithm.CreateHash();
        if (size > 0)
        {
            await using var stream = await storage.OpenReadAsync(StorageKeys.Upload(uploadId), 0, cancellationToken)
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
        }

        return Digest.FromHash(algorithm, hash.GetCurrentHash());
    }

    /// <summary>
    /// Moves verified bytes to their content address; if the same bytes are already there, keeps those. Racing uploads
    /// of one digest on this node take turns (<see cref="PublishGate"/>), so the bytes are copied there once.
    /// </summary>
    private async Task PublishAsync(string uploadId, Digest digest, long size, CancellationToken cancellationToken)
    {
        var blobKey = StorageKeys.Blob(digest);
        using var published = await publishGate.EnterAsync(blobKey, cancellationToken);
        if (await storage.StatAsync(blobKey, cancellationToken) == size)
        {
            return;
        }

        await storage.MoveAsync(StorageKeys.Upload(uploadId), blobKey, cancellationToken);
    }

    /// <summary>Marks the session as publishing <paramref name="digest"/> (<see cref="PublishHold"/>); false while a deletion of it is under way.</summary>
    private async Task<bool> HoldForPublishAsync(string uploadId, Digest digest, CancellationToken cancellationToken)
    {
        var key = digest.ToString();
        if (await PublishHold.TryHoldAsync(
                db, digest, ct => db.Uploads.Where(u => u.Id == uploadId).ExecuteUpdateAsync(u => u.SetProperty(x => x.PublishingDigest, key), ct), time, cancellationToken))
        {
            return true;
        }

        LogDeletionUnderWay(logger, key);
        return false;
    }

    private async Task<OciError> RefuseAsync(string uploadId, UploadClaim claim, QuotaRefusal refusal)
    {
        LogQuotaExceeded(logger, refusal.Namespace, refusal.UsedBytes, refusal.LimitBytes, refusal.NeededBytes);
        await DiscardAsync(uploadId, CancellationToken.None);
        claim.Ended();
        return QuotaDenied.Error(refusal);
    }

    /// <summary>Ends an upload: its row first, so no request can claim it while its bytes go.</summary>
    private async Task DiscardAsync(string uploadId, CancellationToken cancellationToken)
    {
        await db.Uploads.Where(u => u.Id == uploadId).ExecuteDeleteAsync(cancellationToken);
        await storage.DeleteAsync(StorageKeys.Upload(uploadId), cancellationToken);
    }

    /// <summary>What a chunk left: the upload's size, and its SHA-256 when the final chunk kept one.</summary>
    private readonly record struct Received(long Size, byte[]? Sha256);

    /// <summary>
    /// One request's hold on an upload session: renewed while bytes stream, given up (without moving the offset) when the
    /// request ends without advancing it.
    /// </summary>
    private sealed class UploadClaim(BerthDbContext db, TimeProvider time, UploadSettings settings, UploadSession session, string token, bool holds) : IAsyncDisposable
    {
        private long _renewedAt = time.GetTimestamp();
        private bool _held = true;

        public UploadSession Session => session;

        /// <summary>The claim also holds the digest being completed against collection (the session's <c>PublishingDigest</c>).</summary>
        public bool Holds => holds;

        /// <summary>The session ended with this request (completed or discarded): nothing is left to release.</summary>
        public void Ended() => _held = false;

        /// <summary>Renews the claim when due; false once another request has taken it.</summary>
        public async ValueTask<bool> KeepAsync(CancellationToken cancellationToken)
        {
            if (time.GetElapsedTime(_renewedAt) < settings.RenewEvery)
            {
                return true;
            }

            var now = time.GetUtcNow().UtcDateTime;
            _held = await db.Database.ExecuteSqlInterpolatedAsync(
                $"""UPDATE "uploads" SET "ClaimedAt" = {now}, "UpdatedAt" = {now} WHERE "Id" = {session.Id} AND "ClaimToken" = {token}""",
                CancellationToken.None) == 1;
            _renewedAt = time.GetTimestamp();
            return _held;
        }

        /// <summary>Records the new offset, writer checkpoint and hash state, releasing the claim; false if it was lost.</summary>
        public async Task<bool> AdvanceAsync(WriterCheckpoint checkpoint, byte[]? hashState, CancellationToken cancellationToken)
        {
            var now = time.GetUtcNow().UtcDateTime;
            var advanced = await db.Database.ExecuteSqlInterpolatedAsync(
                $"""
                UPDATE "uploads" SET "Size" = {checkpoint.Size}, "StorageState" = {checkpoint.State}, "HashState" = {hashState},
                    "ClaimToken" = NULL, "ClaimedAt" = NULL, "PublishingDigest" = NULL, "UpdatedAt" = {now}
                WHERE "Id" = {session.Id} AND "ClaimToken" = {token}
                """,
                cancellationToken) == 1;
            _held = false;
            return advanced;
        }

        public async ValueTask DisposeAsync()
        {
            if (_held)
            {
                _held = false;
                // A hold goes with the claim: an upload that did not complete publishes nothing.
                await db.Database.ExecuteSqlInterpolatedAsync(
                    $"""UPDATE "uploads" SET "ClaimToken" = NULL, "ClaimedAt" = NULL, "PublishingDigest" = NULL WHERE "Id" = {session.Id} AND "ClaimToken" = {token}""",
                    CancellationToken.None);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upload of {Digest} refused: a garbage collector's deletion of that blob is still under way")]
    private static partial void LogDeletionUnderWay(ILogger logger, string digest);

    [LoggerMessage(Level = LogLevel.Information, Message = "Upload refused: namespace {Namespace} would exceed its quota ({Used} bytes used of {Limit}, the blob needs {Needed})")]
    private static partial void LogQuotaExceeded(ILogger logger, string @namespace, long used, long limit, long needed);

    [LoggerMessage(Level = LogLevel.Information, Message = "Upload to {Repository} rejected: digest {Expected} named, content is {Actual}")]
    private static partial void LogDigestMismatch(ILogger logger, string repository, string expected, string actual);

    [LoggerMessage(Level = LogLevel.Information, Message = "Upload {UploadId} chunk ended early: {Reason}")]
    private static partial void LogBodyAborted(ILogger logger, string uploadId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upload {UploadId}: the disk is full; the chunk is dropped and the upload stays at {Size} bytes")]
    private static partial void LogDiskFull(ILogger logger, string uploadId, long size);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upload {UploadId} lost its stored data ({Size} bytes recorded); the session is discarded")]
    private static partial void LogDataMissing(ILogger logger, string uploadId, long size);
}
