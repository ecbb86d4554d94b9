namespace Berth.Server.Gc;

/// <summary>
/// The one maintenance worker of the registry: every <see cref="UploadPurge.Interval"/> it purges abandoned uploads
/// (under the <c>abandoned-uploads</c> lease), and every <c>--gc-interval</c> (default 1 h) it runs a garbage-collection
/// pass on whichever node takes the <c>gc</c> lease (a node that finds it held, a pass elsewhere, skips that turn).
/// </summary>
internal sealed partial class GcWorker(GcRunner runner, UploadPurge purge, TimeProvider time, ILogger<GcWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = runner.Settings.Interval;
        var tick = interval is { } gc && gc < purge.Interval ? gc : purge.Interval;
        var nextPurge = time.GetUtcNow() + purge.Interval;
        var nextPass = interval is { } first ? time.GetUtcNow() + first : DateTimeOffset.MaxValue;
        using var timer = new PeriodicTimer(tick, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var now = time.GetUtcNow();
            if (now >= nextPurge)
            {
                nextPurge = now + purge.Interval;
                try
                {
                    await purge.RunAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogPurgeFailed(logger, e);
                }
            }

            if (now >= nextPass && interval is { } every)
            {
                nextPass = now + every;
                try
                {
                    await runner.RunAsync("worker", dryRun: false, grace: null, wait: TimeSpan.Zero, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogFailed(logger, e);
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A garbage-collection pass failed; the next runs at the next interval")]
    private static partial void LogFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Purging abandoned uploads failed")]
    private static partial void LogPurgeFailed(ILogger logger, Exception exception);
}
