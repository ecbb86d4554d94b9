using Berth.Data;
using Berth.Data.Events;
using Berth.Registry.Events;

namespace Berth.Server.Hosting;

/// <summary>
/// Turns the pulls counted in memory (<see cref="PullCounter"/>) into one outbox event per repository every second,
/// so a manifest GET writes nothing. A kill -9 loses at most the last second's counts; a stop writes them first.
/// </summary>
internal sealed partial class PullCountFlusher(PullCounter counter, IServiceScopeFactory scopes, OutboxSignal outbox, TimeProvider time, ILogger<PullCountFlusher> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await FlushAsync(CancellationToken.None);
        }
    }

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        var counts = counter.Drain();
        if (counts.Count == 0)
        {
            return;
        }

        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<BerthDbContext>();
            var now = time.GetUtcNow().UtcDateTime;
            foreach (var (repository, count) in counts)
            {
                db.AddOutboxEvent(new RegistryEvent(Outbox.NewEventId(), RegistryActions.Pull, repository, null, "", "", 0, 0, null, now, count));
            }

            await db.SaveChangesAsync(cancellationToken);
            outbox.Notify();
        }
        catch (Exception e)
        {
            // Kept for the next interval: a busy or briefly unavailable database costs no counts.
            counter.Restore(counts);
            if (e is not OperationCanceledException)
            {
                LogFailed(logger, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing pull counts to the outbox failed; they are kept for the next attempt")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
