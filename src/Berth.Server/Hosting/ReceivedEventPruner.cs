using Berth.Data;
using Berth.Index.Events;
using Berth.Server.Endpoints;

namespace Berth.Server.Hosting;

/// <summary>
/// Keeps <c>received_events</c> bounded: every few minutes, forgets ids older than any signature still accepted
/// (a replay of those fails its timestamp check), instead of pruning on every request.
/// </summary>
internal sealed partial class ReceivedEventPruner(IServiceScopeFactory scopes, TimeProvider time, ILogger<ReceivedEventPruner> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(EventEnvelope.MaxAge, time);
        do
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<BerthDbContext>();
                await db.PruneReceivedAsync(time.GetUtcNow().UtcDateTime - EventEnvelope.ReceivedIdRetention, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pruning received event ids failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
