namespace Berth.Server.Hosting;

/// <summary>Deletes expired <c>rate_limit_windows</c> rows every minute, on one node of a cluster at a time.</summary>
internal sealed partial class RateLimitWindowPruner(RateLimitWindows windows, ClusterLeases leases, TimeProvider time, ILogger<RateLimitWindowPruner> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                if (await leases.TryHoldAsync(ClusterLeases.RateLimitWindows, Interval * 2.5, stoppingToken))
                {
                    await windows.PruneAsync(time.GetUtcNow().UtcDateTime, stoppingToken);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(logger, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pruning rate limit windows failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
