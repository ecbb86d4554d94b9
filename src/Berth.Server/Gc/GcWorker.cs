namespace Berth.Server.Gc;

/// <summary>
/// Runs a garbage-collection pass every <c>--gc-interval</c> (default 1 h) on whichever node takes the <c>gc</c> lease;
/// a node that finds it held (a pass elsewhere) skips that turn.
/// </summary>
internal sealed partial class GcWorker(GcRunner runner, TimeProvider time, ILogger<GcWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (runner.Settings.Interval is not { } interval)
        {
            return;
        }

        using var timer = new PeriodicTimer(interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "A garbage-collection pass failed; the next runs at the next interval")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
