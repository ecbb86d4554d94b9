using Berth.Index.Events;

namespace Berth.Server.Hosting;

/// <summary>Writes pull counts gathered in memory every few seconds, so pulls cost no database write each.</summary>
internal sealed partial class PullCountFlusher(InProcessEventSink sink, ILogger<PullCountFlusher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync(stoppingToken);
            }
        }
        finally
        {
            await FlushAsync(CancellationToken.None);
        }
    }

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        try
        {
            await sink.FlushPullsAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogFailed(logger, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing pull counts failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
