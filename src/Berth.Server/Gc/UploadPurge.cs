using Berth.Registry.Uploads;
using Berth.Server.Hosting;

namespace Berth.Server.Gc;

/// <summary>
/// The garbage-collection worker's frequent job: removes upload sessions idle for <c>--upload-idle-seconds</c> (default
/// a day), whose clients are gone and whose bytes only take space, and upload data left with no session row (a request
/// that wrote after its upload ended, a crash between the two deletions) once it has been seen orphaned for that long.
/// Runs every <see cref="Interval"/> (half the idle period, at most hourly) on one node of a cluster at a time (the node
/// holding the <c>abandoned-uploads</c> lease). Every collection pass also purges idle sessions first (their publish
/// holds keep blobs from the collector).
/// </summary>
internal sealed partial class UploadPurge(IServiceScopeFactory scopes, ClusterLeases leases, GcSettings settings, TimeProvider time, ILogger<UploadPurge> logger)
{
    private static readonly TimeSpan MaxInterval = TimeSpan.FromHours(1);

    // When each orphan was first seen. In memory only: after a restart, or when the lease moves to another node (which
    // starts its own count), an orphan waits one more idle period.
    private readonly Dictionary<string, DateTime> _orphansSeen = new(StringComparer.Ordinal);

    private TimeSpan MaxIdle => settings.UploadIdle;

    public TimeSpan Interval => MaxIdle / 2 < MaxInterval ? MaxIdle / 2 : MaxInterval;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        // Held across two missed runs, so the holder keeps it from one run to the next; a dead holder's lapses within that.
        if (!await leases.TryHoldAsync(ClusterLeases.AbandonedUploads, Interval * 2.5, cancellationToken))
        {
            // Another node purges; what this one saw orphaned is stale by the time the lease comes back.
            _orphansSeen.Clear();
            return;
        }

        await using var scope = scopes.CreateAsyncScope();
        var uploads = scope.ServiceProvider.GetRequiredService<IUploadService>();
        var now = time.GetUtcNow().UtcDateTime;
        var purged = await uploads.PurgeAbandonedAsync(now - MaxIdle, cancellationToken);
        if (purged > 0)
        {
            LogPurged(logger, purged);
        }

        var orphans = await PurgeOrphansAsync(uploads, now, cancellationToken);
        if (orphans > 0)
        {
            LogOrphansPurged(logger, orphans);
        }
    }

    private async Task<int> PurgeOrphansAsync(IUploadService uploads, DateTime now, CancellationToken cancellationToken)
    {
        var orphans = await uploads.FindOrphanedDataAsync(cancellationToken);
        var current = orphans.ToHashSet(StringComparer.Ordinal);
        foreach (var gone in _orphansSeen.Keys.Where(id => !current.Contains(id)).ToList())
        {
            _orphansSeen.Remove(gone);
        }

        var deleted = 0;
        foreach (var id in orphans)
        {
            if (!_orphansSeen.TryAdd(id, now) && now - _orphansSeen[id] >= MaxIdle && await uploads.DeleteOrphanedDataAsync(id, cancellationToken))
            {
                _orphansSeen.Remove(id);
                deleted++;
            }
        }

        return deleted;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Purged {Count} abandoned upload sessions")]
    private static partial void LogPurged(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Purged the data of {Count} uploads that had no session")]
    private static partial void LogOrphansPurged(ILogger logger, int count);
}
