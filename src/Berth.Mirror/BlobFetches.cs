using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Security.Cryptography;
using Berth.Client.Registry;
using Berth.Data;
using Berth.Data.Entities;
using Berth.Oci;
using Berth.Registry;
using Berth.Registry.Blobs;
using Berth.Registry.Gc;
using Berth.Registry.Storage;
using Berth.Registry.Uploads;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Berth.Mirror;

/// <summary>
/// Blobs being fetched from upstreams: exactly one upstream GET per digest on this node however many clients ask at
/// once (single flight). The fetch streams into a storage writer, hashing as it goes, and to the client that started
/// it (a tee); the bytes are verified against the digest before they are published at their content address (as an
/// upload's: <see cref="PublishGate"/>) and linked. Other clients wait for that and are served from storage, ranges
/// included. A fetch runs under this service's lifetime, not the request's: a client that goes away is only detached,
/// the cache entry is still completed.
/// </summary>
internal sealed partial class BlobFetches(
    IServiceScopeFactory scopes, IStorageDriver storage, PublishGate publishGate, FetchLeases leases, MirrorStats stats, MirrorSettings settings, TimeProvider time,
    ILogger<BlobFetches> logger)
    : IAsyncDisposable
{
    private const int BufferBytes = 256 * 1024;

    /// <summary>How long the client copy may block the fetch before that client is detached.</summary>
    private TimeSpan StalledClient => settings.StalledClient;

    private readonly ConcurrentDictionary<string, Fetch> _running = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Fetches in flight on this node (tests and diagnostics).</summary>
    public int Running => _running.Count;

    /// <summary>
    /// The blob from <paramref name="offset"/>: the live copy of a fetch this call starts (offset 0), else the stored
    /// bytes once the fetch running for the digest (here or, through the lease, on another node) has committed them.
    /// A failed fetch is an <see cref="IOException"/> (to the client that started it, from its stream).
    /// </summary>
    public async Task<Stream?> OpenAsync(MirrorTarget target, string repository, Digest digest, long size, long offset, CancellationToken cancellationToken)
    {
        var blobKey = StorageKeys.Blob(digest);
        var fetch = new Fetch(target, repository, digest, size);
        var running = _running.GetOrAdd(digest.ToString(), fetch);
        if (running == fetch)
        {
            Pipe? tee = offset == 0 ? new Pipe(new PipeOptions(pauseWriterThreshold: 4 * BufferBytes, resumeWriterThreshold: 2 * BufferBytes, useSynchronizationContext: false)) : null;
            _ = Task.Run(() => RunAsync(fetch, tee?.Writer), CancellationToken.None);
            if (tee is not null)
            {
                return tee.Reader.AsStream();
            }
        }

        if (!await running.Committed.Task.WaitAsync(cancellationToken))
        {
            // An IOException: answered 503 (try again), as when storage fails; the leader logged why.
            throw new IOException($"the mirror's fetch of {digest} from {target.Upstream.Label} failed");
        }

        if (running.Repository != repository && !await LinkStoredAsync(repository, digest, size, cancellationToken))
        {
            throw new IOException($"the mirror's fetch of {digest} committed, but the blob is no longer stored");
        }

        return await storage.OpenReadAsync(blobKey, offset, cancellationToken);
    }

    /// <summary>
    /// Records that <paramref name="repository"/> holds the blob stored at its content address, as an upload's completion
    /// does, under a hold against garbage collection; false when the bytes are not (or, once the hold is taken, no
    /// longer) stored. A repository this creates has no creator (the mirror made it, not the client whose pull caused it).
    /// </summary>
    public async Task<bool> LinkStoredAsync(string repository, Digest digest, long size, CancellationToken cancellationToken)
    {
        await using var hold = await HoldAsync(repository, digest, UploadId.New(), cancellationToken);
        if (await storage.StatAsync(StorageKeys.Blob(digest), cancellationToken) != size)
        {
            return false;
        }

        await LinkAsync(repository, digest, size, cancellationToken);
        return true;
    }

    private async Task LinkAsync(string repository, Digest digest, long size, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BerthDbContext>();
        var defaults = scope.ServiceProvider.GetRequiredService<RepositoryDefaults>();
        // Counted in the namespace's usage but never refused: a pull filled the cache, no one pushed (docs/OPERATIONS.md, Quotas).
        await BlobStore.LinkAsync(db, defaults, new RegistryCaller(), repository, digest, size, enforceQuota: false, time.GetUtcNow().UtcDateTime, cancellationToken);
    }

    /// <summary>
    /// An upload session row for <paramref name="uploadId"/> naming <paramref name="digest"/> as being published
    /// (<see cref="PublishHold"/>), removed when disposed: the garbage collector leaves the digest alone meanwhile, and
    /// waits for a deletion of it already under way. An <see cref="IOException"/> (503) when that deletion does not end.
    /// </summary>
    private async Task<PublishHoldRow> HoldAsync(string repository, Digest digest, string uploadId, CancellationToken cancellationToken)
    {
        var scope = scopes.CreateAsyncScope();
        try
        {
            var db = scope.ServiceProvider.GetRequiredService<BerthDbContext>();
            var now = time.GetUtcNow().UtcDateTime;
            var held = await PublishHold.TryHoldAsync(db, digest, async ct =>
            {
                db.Uploads.Add(new UploadSession { Id = uploadId, RepositoryName = repository, StartedAt = now, UpdatedAt = now, PublishingDigest = digest.ToString() });
                await db.SaveChangesAsync(ct);
            }, time, cancellationToken);
            if (!held)
            {
                throw new IOException($"a garbage collector's deletion of {digest} is still under way");
            }

            return new PublishHoldRow(scope, db, uploadId, logger);
        }
        catch
        {
            await scope.DisposeAsync();
            throw;
        }
    }

    /// <summary>Removes its hold row (a failure only logs: the abandoned-upload purge removes the row later).</summary>
    private sealed class PublishHoldRow(AsyncServiceScope scope, BerthDbContext db, string uploadId, ILogger logger) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await db.Uploads.Where(u => u.Id == uploadId).ExecuteDeleteAsync(CancellationToken.None);
            }
            catch (Exception e) when (e is DbUpdateException or InvalidOperationException or System.Data.Common.DbException)
            {
                LogHoldNotReleased(logger, e, uploadId);
            }
            finally
            {
                await scope.DisposeAsync();
            }
        }
    }

    private async Task RunAsync(Fetch fetch, PipeWriter? tee)
    {
        var cancellationToken = _stopping.Token;
        var committed = false;
        Exception? failure = null;
        try
        {
            committed = await FetchOnceAsync(fetch, tee, cancellationToken);
        }
        catch (Exception e)
        {
            failure = e;
            stats.Of(fetch.Target.Upstream).Error();
            LogFetchFailed(logger, e, fetch.Digest.ToString(), fetch.Target.Upstream.Label, fetch.Target.Repository);
        }
        finally
        {
            _running.TryRemove(new KeyValuePair<string, Fetch>(fetch.Digest.ToString(), fetch));
            fetch.Committed.TrySetResult(committed);
            if (tee is not null)
            {
                // An IOException whatever went wrong: the endpoint copying it then answers as for failing storage.
                await tee.CompleteAsync(committed ? null : new IOException($"the mirror's fetch of {fetch.Digest} from {fetch.Target.Upstream.Label} failed", failure));
            }
        }
    }

    /// <summary>True once the blob is stored and linked to the fetch's repository.</summary>
    private async Task<bool> FetchOnceAsync(Fetch fetch, PipeWriter? tee, CancellationToken cancellationToken)
    {
        var blobKey = StorageKeys.Blob(fetch.Digest);
        await using var lease = await leases.AcquireAsync(fetch.Digest, blobKey, fetch.Size, cancellationToken);

        // Held against garbage collection from before the bytes are looked for until they are published and linked.
        var uploadId = UploadId.New();
        await using var hold = await HoldAsync(fetch.Repository, fetch.Digest, uploadId, cancellationToken);
        if (await storage.StatAsync(blobKey, cancellationToken) == fetch.Size)
        {
            // Committed meanwhile (by a fetch on this node that just ended, or under the lease on another node).
            await LinkAsync(fetch.Repository, fetch.Digest, fetch.Size, cancellationToken);
            if (tee is not null)
            {
                await using var stored = await storage.OpenReadAsync(blobKey, 0, cancellationToken);
                if (stored is not null)
                {
                    await CopyToTeeAsync(stored, tee, cancellationToken);
                }
            }

            return true;
        }

        var upstream = fetch.Target.Upstream;
        LogFetching(logger, fetch.Digest.ToString(), upstream.Label, fetch.Target.Repository, fetch.Size);
        var uploadKey = StorageKeys.Upload(uploadId);
        await UploadsFolder.EnsureAsync(storage, cancellationToken);
        var writer = await storage.OpenWriterAsync(uploadKey, null, cancellationToken)
            ?? throw new IOException("storage refused a new writer");
        var done = false;
        var buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
        try
        {
            using var hash = IncrementalHash.CreateHash(fetch.Digest.Algorithm == DigestAlgorithm.Sha512 ? HashAlgorithmName.SHA512 : HashAlgorithmName.SHA256);
            await using (var body = await upstream.Client.OpenBlobAsync(fetch.Target.Repository, fetch.Digest, 0, cancellationToken))
            {
                long total = 0;
                while (true)
                {
                    var read = await body.ReadAsync(buffer.AsMemory(0, BufferBytes), cancellationToken);
                    if (read == 0)
                    {
                        break;
                    }

                    total += read;
                    if (total > fetch.Size)
                    {
                        throw new InvalidDataException($"the upstream sent more than the {fetch.Size} bytes of {fetch.Digest}");
                    }

                    hash.AppendData(buffer, 0, read);
                    await writer.WriteAsync(new ReadOnlySequence<byte>(buffer, 0, read), cancellationToken);
                    await lease.RenewAsync(cancellationToken);
                    stats.Of(upstream).Fetched(read);
                    if (total == fetch.Size && Digest.FromHash(fetch.Digest.Algorithm, hash.GetCurrentHash()) != fetch.Digest)
                    {
                        // The client gets no last byte of content that is not what it asked for.
                        throw new InvalidDataException($"the upstream's bytes for {fetch.Digest} hash to something else");
                    }

                    tee = await WriteToTeeAsync(tee, buffer.AsMemory(0, read), cancellationToken);
                }

                if (total != fetch.Size)
                {
                    throw new InvalidDataException($"the upstream sent {total} of the {fetch.Size} bytes of {fetch.Digest}");
                }
            }

            await writer.CommitAsync(cancellationToken);
            done = true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            if (!done)
            {
                await writer.CancelAsync(CancellationToken.None);
            }

            await writer.DisposeAsync();
        }

        using (await publishGate.EnterAsync(blobKey, cancellationToken))
        {
            if (await storage.StatAsync(blobKey, cancellationToken) == fetch.Size)
            {
                await storage.DeleteAsync(uploadKey, cancellationToken);
            }
            else
            {
                await storage.MoveAsync(uploadKey, blobKey, cancellationToken);
            }
        }

        await LinkAsync(fetch.Repository, fetch.Digest, fetch.Size, cancellationToken);
        LogFetched(logger, fetch.Digest.ToString(), upstream.Label, fetch.Size);
        return true;
    }

    /// <summary>
    /// Copies to the client that started the fetch; a client gone (or failing) is detached, the fetch goes on. So is
    /// one that reads nothing for <see cref="StalledClient"/>: its backpressure must not hold up the cache entry, the
    /// clients waiting for it, or the lease other nodes wait on.
    /// </summary>
    private async Task<PipeWriter?> WriteToTeeAsync(PipeWriter? tee, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (tee is null)
        {
            return null;
        }

        try
        {
            var write = tee.WriteAsync(data, cancellationToken);
            if (write.IsCompleted)
            {
                return write.Result.IsCompleted ? null : tee;
            }

            var pending = write.AsTask();
            try
            {
                return (await pending.WaitAsync(StalledClient, time, cancellationToken)).IsCompleted ? null : tee;
            }
            catch (TimeoutException)
            {
                tee.CancelPendingFlush();
                await pending;
                await tee.CompleteAsync(new IOException($"the client read nothing for {StalledClient.TotalSeconds:0} s"));
                return null;
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            return null;
        }
    }

    private async Task CopyToTeeAsync(Stream stored, PipeWriter tee, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
        try
        {
            PipeWriter? client = tee;
            int read;
            while (client is not null && (read = await stored.ReadAsync(buffer.AsMemory(0, BufferBytes), cancellationToken)) > 0)
            {
                client = await WriteToTeeAsync(client, buffer.AsMemory(0, read), cancellationToken);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _stopping.Dispose();
    }

    private sealed class Fetch(MirrorTarget target, string repository, Digest digest, long size)
    {
        public MirrorTarget Target { get; } = target;

        public string Repository { get; } = repository;

        public Digest Digest { get; } = digest;

        public long Size { get; } = size;

        public TaskCompletionSource<bool> Committed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Mirror fetching {Digest} ({Size} bytes) from {Upstream} ({Repository})")]
    private static partial void LogFetching(ILogger logger, string digest, string upstream, string repository, long size);

    [LoggerMessage(Level = LogLevel.Information, Message = "Mirror stored {Digest} ({Size} bytes) from {Upstream}")]
    private static partial void LogFetched(ILogger logger, string digest, string upstream, long size);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mirror fetch of {Digest} from {Upstream} ({Repository}) failed")]
    private static partial void LogFetchFailed(ILogger logger, Exception exception, string digest, string upstream, string repository);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove the mirror fetch's hold {UploadId}; the abandoned-upload purge removes it")]
    private static partial void LogHoldNotReleased(ILogger logger, Exception exception, string uploadId);
}
