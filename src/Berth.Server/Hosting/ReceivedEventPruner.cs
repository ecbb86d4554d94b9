using Berth.Data;
using Berth.Index.Events;
using Berth.Server.Endpoints;

namespace Berth.Server.Hosting;

/// <summary>
/// Keeps <c>received_events</c> bounded: every few minutes, forgets ids older than any signature still accepted
/// (a replay of those fails its timestamp check), instead of pruning on every request; on one node of a cluster at a
/// time (the <c>received-events</c> lease).
/// </summary>
internal sealed partial class ReceivedEventPruner(IServiceScopeFactory scopes, ClusterLeases leases, TimeProvider time, ILogger<ReceivedEventPruner> logger) : BackgroundService
{
    // Held across two missed runs, so the holder keeps it from one run to the next.
    private static readonly TimeSpan Lease = EventEnvelope.MaxAge * 2.5;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(EventEnvelope.MaxAge, time);
        do
        {
            try
            {
                if (!await leases.TryHoldAsync(ClusterLeases.ReceivedEvents, Lease, stoppingToken))
                {
                    continue;
                }

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
