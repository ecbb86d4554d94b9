using Berth.Data;
using Berth.Data.Entities;
using Berth.Data.Events;
using Berth.Data.Gc;
using Berth.Data.Quotas;
using Berth.Oci;
using Berth.Registry.Events;
using Berth.Registry.Retention;
using Berth.Registry.Storage;
using Berth.Registry.Uploads;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Berth.Registry.Gc;

/// <summary>
/// Reviews due candidates in small batches. Each batch is one transaction, serialised with every transaction that links
/// a blob (upload completion, mount, manifest PUT: SQLite's one writer, PostgreSQL's transaction lock): inside it the
/// references are read again and only a blob nothing holds loses its row (and its stale links), its candidate marked
/// as being deleted. The storage object is deleted after that commit, then the candidate. A crash in between leaves the
/// marked candidate: the next pass finishes it first, and until then no upload publishes that digest (it waits).
/// </summary>
internal sealed partial class GarbageCollector(BerthDbContext db, IStorageDriver storage, OutboxSignal outbox, TagRetention retention, IUploadService uploads, TimeProvider time, ILogger<GarbageCollector> logger) : IGarbageCollector
{
    private const int BlobBatch = 200;
    private const int ManifestBatch = 50;

    // Bounds on one pass: a queue longer than this is continued by the next pass.
    private const int MaxBatches = 5000;
    private const int MaxManifestRounds = 8;

    private static readonly TimeSpan MinYield = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan MaxYield = TimeSpan.FromMilliseconds(50);

    public async Task<GcReport> RunAsync(GcPassOptions options, CancellationToken cancellationToken)
    {
        var started = Now();
        var tally = new Tally();
        string? error = null;
        IReadOnlyList<UntaggedTag> untagged = [];
        var uploadsPurged = 0;
        try
        {
            // Idle upload sessions first: a session that stopped while publishing holds its digest from the collector.
            if (!options.DryRun && options.UploadIdle is { } idle)
            {
                uploadsPurged = await uploads.PurgeAbandonedAsync(started - idle, cancellationToken);
            }

            // Retention first: the manifests it untags are queued for review, due within this pass when the grace is short.
            untagged = await retention.ApplyAsync(options.DryRun, cancellationToken);
            await FinishDeletionsAsync(options, tally, cancellationToken);

            // A deleted manifest queues what it named; with a short grace those are due within the same pass.
            for (var round = 0; round < MaxManifestRounds; round++)
            {
                var before = tally.ManifestsDeleted;
                await ReviewManifestsAsync(options, tally, cancellationToken);
                if (options.DryRun || tally.ManifestsDeleted == before)
                {
                    break;
                }
            }

            await ReviewBlobsAsync(options, tally, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            error = e.Message;
            LogFailed(logger, e);
        }

        db.ChangeTracker.Clear();
        var run = new GcRunRecord
        {
            Trigger = options.Trigger,
            DryRun = options.DryRun,
            StartedAt = started,
            FinishedAt = Now(),
            BlobsDeleted = tally.BlobsDeleted,
            BytesDeleted = tally.BytesDeleted,
            ManifestsDeleted = tally.ManifestsDeleted,
            CandidatesReviewed = tally.Reviewed,
            TagsUntagged = untagged.Count,
            UploadsPurged = uploadsPurged,
            Error = error is { Length: > 1000 } ? error[..1000] : error,
        };
        db.GcRuns.Add(run);
        await db.SaveChangesAsync(cancellationToken);
        await db.GcRuns.Where(r => r.Id <= run.Id - KeptRuns).ExecuteDeleteAsync(cancellationToken);
        if (error is not null)
        {
            throw new InvalidOperationException($"garbage collection failed: {error}");
        }

        LogPass(logger, options.Trigger, options.DryRun, uploadsPurged, untagged.Count, tally.Reviewed, tally.BlobsDeleted, tally.BytesDeleted, tally.ManifestsDeleted);
        return new GcReport(run.Id, run.Trigger, run.DryRun, run.StartedAt, run.FinishedAt, run.CandidatesReviewed, run.BlobsDeleted, run.BytesDeleted, run.ManifestsDeleted, untagged, run.UploadsPurged);
    }

    /// <summary>How many runs <c>gc_runs</c> keeps.</summary>
    internal const int KeptRuns = 100;

    /// <summary>Objects whose rows an earlier pass removed but that it did not get to delete (it crashed or was stopped).</summary>
    private async Task FinishDeletionsAsync(GcPassOptions options, Tally tally, CancellationToken cancellationToken)
    {
        for (var batch = 0; batch < MaxBatches; batch++)
        {
            var pending = await db.GcBlobCandidates.AsNoTracking().Where(c => c.DeletingSince != null)
                .OrderBy(c => c.Digest).Take(BlobBatch).Select(c => new { c.Digest, c.Size }).ToListAsync(cancellationToken);
            if (pending.Count == 0)
            {
                return;
            }

            foreach (var item in pending)
            {
                tally.BlobsDeleted++;
                tally.BytesDeleted += item.Size;
            }

            if (options.DryRun)
            {
                return;
            }

            await DeleteObjectsAsync(pending.Select(p => p.Digest).ToList(), cancellationToken);
        }
    }

    private async Task ReviewBlobsAsync(GcPassOptions options, Tally tally, CancellationToken cancellationToken)
    {
        var last = "";
        for (var batch = 0; batch < MaxBatches; batch++)
        {
            var now = Now();
            var cutoff = now - options.Grace;
            var due = await db.GcBlobCandidates.AsNoTracking()
                .Where(c => c.DeletingSince == null && c.QueuedAt <= cutoff && string.Compare(c.Digest, last) > 0)
                .OrderBy(c => c.Digest).Take(BlobBatch).Select(c => c.Digest).ToListAsync(cancellationToken);
            if (due.Count == 0)
            {
                return;
            }

            last = due[^1];
            tally.Reviewed += due.Count;
            var held = time.GetTimestamp();
            var removed = await RemoveUnreferencedAsync(due, now, cutoff, options.DryRun, cancellationToken);
            await YieldToWritersAsync(held, cancellationToken);
            foreach (var (_, size) in removed)
            {
                tally.BlobsDeleted++;
                tally.BytesDeleted += size;
            }

            if (!options.DryRun && removed.Count > 0)
            {
                await DeleteObjectsAsync(removed.Select(r => r.Digest).ToList(), cancellationToken);
            }
        }
    }

    /// <summary>
    /// In one transaction: what still holds each candidate (a manifest naming it, a link younger than the grace period,
    /// an upload publishing it); the rest lose their blob row and links and are marked as being deleted. Returns those.
    /// </summary>
    private async Task<List<(string Digest, long Size)>> RemoveUnreferencedAsync(List<string> due, DateTime now, DateTime cutoff, bool dryRun, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var named = await db.ManifestReferences.Where(r => !r.IsManifest && due.Contains(r.Digest))
            .Select(r => r.Digest).Distinct().ToListAsync(cancellationToken);
        var linked = await db.RepositoryBlobs.Where(l => l.CreatedAt > cutoff && due.Contains(l.Digest))
            .Select(l => l.Digest).Distinct().ToListAsync(cancellationToken);
        var publishing = await db.Uploads.Where(u => u.PublishingDigest != null && due.Contains(u.PublishingDigest))
            .Select(u => u.PublishingDigest!).Distinct().ToListAsync(cancellationToken);
        var garbage = due.Except(named).Except(linked).Except(publishing).ToList();
        var sizes = await db.Blobs.Where(b => garbage.Contains(b.Digest)).ToDictionaryAsync(b => b.Digest, b => b.Size, cancellationToken);
        var removed = garbage.Select(d => (d, sizes.GetValueOrDefault(d))).ToList();
        if (dryRun)
        {
            return removed;
        }

        // Named by a manifest: reviewed again when that manifest goes. Held by a young link or an upload: reviewed again
        // a grace period from now (an uploaded blob no manifest ever names is garbage then).
        var held = linked.Union(publishing).Except(named).ToList();
        await db.GcBlobCandidates.Where(c => named.Contains(c.Digest)).ExecuteDeleteAsync(cancellationToken);
        await db.GcBlobCandidates.Where(c => held.Contains(c.Digest))
            .ExecuteUpdateAsync(c => c.SetProperty(x => x.QueuedAt, now), cancellationToken);
        if (garbage.Count > 0)
        {
            // One statement marks the batch, each candidate with its blob's size, read before the blob row goes.
            await db.GcBlobCandidates.Where(c => garbage.Contains(c.Digest))
                .ExecuteUpdateAsync(
                    c => c.SetProperty(x => x.DeletingSince, now)
                        .SetProperty(x => x.Size, x => db.Blobs.Where(b => b.Digest == x.Digest).Select(b => b.Size).FirstOrDefault()),
                    cancellationToken);
            await db.ReleaseBlobsAsync(garbage, cancellationToken); // the namespaces' usage, before their links go
            await db.RepositoryBlobs.Where(l => garbage.Contains(l.Digest)).ExecuteDeleteAsync(cancellationToken);
            await db.Blobs.Where(b => garbage.Contains(b.Digest)).ExecuteDeleteAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return removed;
    }

    /// <summary>Deletes the objects of candidates marked as being deleted (their rows are gone), then the candidates.</summary>
    private async Task DeleteObjectsAsync(List<string> digests, CancellationToken cancellationToken)
    {
        foreach (var digest in digests)
        {
            if (Digest.TryParse(digest, out var parsed))
            {
                await storage.DeleteAsync(StorageKeys.Blob(parsed), cancellationToken);
            }
        }

        await db.GcBlobCandidates.Where(c => c.DeletingSince != null && digests.Contains(c.Digest)).ExecuteDeleteAsync(cancellationToken);
    }

    private async Task ReviewManifestsAsync(GcPassOptions options, Tally tally, CancellationToken cancellationToken)
    {
        var lastAt = DateTime.MinValue;
        var lastRepository = 0L;
        var lastDigest = "";
        var cutoff = Now() - options.Grace;
        for (var batch = 0; batch < MaxBatches; batch++)
        {
            var due = await db.GcManifestCandidates.AsNoTracking()
                .Where(c => c.QueuedAt <= cutoff)
                .Where(c => c.QueuedAt > lastAt || (c.QueuedAt == lastAt && (c.RepositoryId > lastRepository || (c.RepositoryId == lastRepository && string.Compare(c.Digest, lastDigest) > 0))))
                .OrderBy(c => c.QueuedAt).ThenBy(c => c.RepositoryId).ThenBy(c => c.Digest)
                .Take(ManifestBatch).ToListAsync(cancellationToken);
            if (due.Count == 0)
            {
                return;
            }

            (lastAt, lastRepository, lastDigest) = (due[^1].QueuedAt, due[^1].RepositoryId, due[^1].Digest);
            tally.Reviewed += due.Count;
            var held = time.GetTimestamp();
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var deleted = false;
            foreach (var candidate in due)
            {
                var verdict = await JudgeAsync(candidate, options, cancellationToken);
                if (verdict == Verdict.Wait)
                {
                    continue;
                }

                if (verdict == Verdict.Delete)
                {
                    tally.ManifestsDeleted++;
                    if (!options.DryRun)
                    {
                        await DeleteManifestAsync(candidate.RepositoryId, candidate.Digest, cancellationToken);
                        deleted = true;
                    }
                }

                if (!options.DryRun)
                {
                    await db.GcManifestCandidates.Where(c => c.RepositoryId == candidate.RepositoryId && c.Digest == candidate.Digest)
                        .ExecuteDeleteAsync(cancellationToken);
                }
            }

            if (!options.DryRun)
            {
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                if (deleted)
                {
                    outbox.Notify();
                }
            }

            await YieldToWritersAsync(held, cancellationToken);
        }
    }

    /// <summary>
    /// After a batch's transaction, leaves the writer lock free for as long as the batch held it (5-50 ms), so pushes
    /// waiting for it get in: SQLite's busy handler sleeps a waiting writer 10-25 ms between tries, and a collector that
    /// began its next batch at once took the lock before they woke (measured with the gc benchmark: pushes fell by 59 %
    /// during a pass).
    /// </summary>
    private Task YieldToWritersAsync(long since, CancellationToken cancellationToken)
    {
        var held = time.GetElapsedTime(since);
        return Task.Delay(held < MinYield ? MinYield : held > MaxYield ? MaxYield : held, time, cancellationToken);
    }

    /// <summary>
    /// Whether a manifest goes: never while tagged or named by an index in its repository (when that goes, it is queued
    /// again); a referrer follows its subject (goes once the subject is gone, stays while it is there); any other
    /// untagged manifest goes once it has been untagged for the untagged period, if one is set.
    /// </summary>
    private async Task<Verdict> JudgeAsync(GcManifestCandidate candidate, GcPassOptions options, CancellationToken cancellationToken)
    {
        var (repositoryId, digest) = (candidate.RepositoryId, candidate.Digest);
        var manifest = await db.Manifests.AsNoTracking().Where(m => m.RepositoryId == repositoryId && m.Digest == digest)
            .Select(m => new { m.SubjectDigest }).FirstOrDefaultAsync(cancellationToken);
        if (manifest is null
            || await db.Tags.AnyAsync(t => t.RepositoryId == repositoryId && t.ManifestDigest == digest, cancellationToken)
            || await (from r in db.ManifestReferences
                      join m in db.Manifests on r.ManifestId equals m.Id
                      where r.IsManifest && r.Digest == digest && m.RepositoryId == repositoryId
                      select r).AnyAsync(cancellationToken))
        {
            return Verdict.Keep;
        }

        if (manifest.SubjectDigest is { } subject)
        {
            return await db.Manifests.AnyAsync(m => m.RepositoryId == repositoryId && m.Digest == subject, cancellationToken)
                ? Verdict.Keep
                : Verdict.Delete;
        }

        if (options.UntaggedAfter is not { } untaggedAfter)
        {
            return Verdict.Keep;
        }

        return candidate.QueuedAt <= Now() - untaggedAfter ? Verdict.Delete : Verdict.Wait;
    }

    private async Task DeleteManifestAsync(long repositoryId, string digest, CancellationToken cancellationToken)
    {
        var now = Now();
        var row = await db.Manifests.AsNoTracking().Where(m => m.RepositoryId == repositoryId && m.Digest == digest)
            .Select(m => new { m.MediaType }).FirstAsync(cancellationToken);
        var repository = await db.Repositories.Where(r => r.Id == repositoryId).Select(r => r.Name).FirstAsync(cancellationToken);
        await GcCandidates.AddDeletedManifestAsync(db, repositoryId, digest, now, cancellationToken);
        await db.Manifests.Where(m => m.RepositoryId == repositoryId && m.Digest == digest).ExecuteDeleteAsync(cancellationToken);

        // As a client's manifest delete: the index and notification endpoints hear of it.
        db.AddOutboxEvent(new RegistryEvent(Outbox.NewEventId(), RegistryActions.Delete, repository, null, digest, row.MediaType, 0, 0, null, now));
        LogManifestDeleted(logger, repository, digest);
    }

    private DateTime Now() => time.GetUtcNow().UtcDateTime;

    private enum Verdict
    {
        Keep,
        Delete,

        /// <summary>Untagged, but not yet for the untagged period: stays queued.</summary>
        Wait,
    }

    private sealed class Tally
    {
        public int Reviewed { get; set; }

        public int BlobsDeleted { get; set; }

        public long BytesDeleted { get; set; }

        public int ManifestsDeleted { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Garbage collection ({Trigger}, dry run {DryRun}): {Uploads} idle upload sessions purged, {Untagged} tags untagged by retention, {Reviewed} candidates reviewed, {Blobs} blobs ({Bytes} bytes) and {Manifests} manifests reclaimed")]
    private static partial void LogPass(ILogger logger, string trigger, bool dryRun, int uploads, int untagged, int reviewed, int blobs, long bytes, int manifests);

    [LoggerMessage(Level = LogLevel.Information, Message = "Garbage collection deleted manifest {Digest} of {Repository}")]
    private static partial void LogManifestDeleted(ILogger logger, string repository, string digest);

    [LoggerMessage(Level = LogLevel.Error, Message = "Garbage collection failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
