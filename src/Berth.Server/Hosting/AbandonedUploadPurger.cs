using Berth.Registry.Uploads;

namespace Berth.Server.Hosting;

/// <summary>Every hour, removes upload sessions idle for a day: their clients are gone and their bytes only take space.</summary>
internal sealed partial class AbandonedUploadPurger(IServiceScopeFactory scopes, TimeProvider time, ILogger<AbandonedUploadPurger> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);
    private static readonly TimeSpan MaxIdle = TimeSpan.FromDays(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var uploads = scope.ServiceProvider.GetRequiredService<IUploadService>();
                var purged = await uploads.PurgeAbandonedAsync(time.GetUtcNow().UtcDateTime - MaxIdle, stoppingToken);
                if (purged > 0)
                {
                    LogPurged(logger, purged);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(logger, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Purged {Count} abandoned upload sessions")]
    private static partial void LogPurged(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Purging abandoned uploads failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
