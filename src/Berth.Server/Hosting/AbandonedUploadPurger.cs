using Berth.Registry.Uploads;

namespace Berth.Server.Hosting;

/// <summary>
/// Removes upload sessions idle for <c>--upload-idle-seconds</c> (default a day): their clients are gone and their bytes
/// only take space. Also removes upload data left with no session row (a request that wrote after its upload ended,
/// a crash between the two deletions), once it has been seen orphaned for that long. Runs every half idle period,
/// at most hourly, on one node of a cluster at a time (the node holding the <c>abandoned-uploads</c> lease).
/// </summary>
internal sealed partial class AbandonedUploadPurger(IServiceScopeFactory scopes, ClusterLeases leases, BerthOptions options, TimeProvider time, ILogger<AbandonedUploadPurger> logger) : BackgroundService
{
    private static readonly TimeSpan MaxInterval = TimeSpan.FromHours(1);

    // When each orphan was first seen. In memory only: after a restart, or when the lease moves to another node (which
    // starts its own count), an orphan waits one more idle period.
    private readonly Dictionary<string, DateTime> _orphansSeen = new(StringComparer.Ordinal);

    private TimeSpan MaxIdle => TimeSpan.FromSeconds(Math.Max(1, options.UploadIdleSeconds));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = MaxIdle / 2 < MaxInterval ? MaxIdle / 2 : MaxInterval;
        // Held across two missed runs, so the holder keeps it from one run to the next; a dead holder's lapses within that.
        var lease = interval * 2.5;
        using var timer = new PeriodicTimer(interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                if (!await leases.TryHoldAsync(ClusterLeases.AbandonedUploads, lease, stoppingToken))
                {
                    // Another node purges; what this one saw orphaned is stale by the time the lease comes back.
                    _orphansSeen.Clear();
                    continue;
                }

                await using var scope = scopes.CreateAsyncScope();
                var uploads = scope.ServiceProvider.GetRequiredService<IUploadService>();
                var now = time.GetUtcNow().UtcDateTime;
                var purged = await uploads.PurgeAbandonedAsync(now - MaxIdle, stoppingToken);
                if (purged > 0)
                {
                    LogPurged(logger, purged);
                }

                var orphans = await PurgeOrphansAsync(uploads, now, stoppingToken);
                if (orphans > 0)
                {
                    LogOrphansPurged(logger, orphans);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(logger, e);
            }
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Purging abandoned uploads failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
