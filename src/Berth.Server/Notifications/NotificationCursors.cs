using Berth.Data;
using Berth.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace Berth.Server.Notifications;

/// <summary>
/// Gives a newly configured endpoint its outbox cursor at the end of the outbox, before the server takes requests
/// and before the dispatcher would create it at the start: as with Distribution, an endpoint receives what happens
/// from the moment it is configured, not the last hour's events still kept for other subscribers. An endpoint that
/// already has a cursor (a restart, another node) continues from it. Registered before the outbox dispatcher, whose
/// start waits for this one's.
/// </summary>
internal sealed partial class NotificationCursors(IReadOnlyList<string> subscribers, IServiceScopeFactory scopes, ILogger<NotificationCursors> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<BerthDbContext>();
            var existing = await db.OutboxCursors.Where(c => subscribers.Contains(c.Subscriber)).Select(c => c.Subscriber).ToListAsync(cancellationToken);
            var missing = subscribers.Except(existing, StringComparer.Ordinal).ToList();
            if (missing.Count == 0)
            {
                return;
            }

            // Ids commit in id order (PostgreSQL: under the outbox lock), so every event committed later is above this.
            var end = await db.OutboxEvents.MaxAsync(e => (long?)e.Id, cancellationToken) ?? 0;
            db.OutboxCursors.AddRange(missing.Select(name => new OutboxCursor { Subscriber = name, Position = end }));
            await db.SaveChangesAsync(cancellationToken);
            LogStarted(logger, string.Join(", ", missing), end);
        }
        catch (DbUpdateException)
        {
            // Another node starting at the same time created them: its positions stand.
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The dispatcher creates a missing cursor itself (at the start of what the outbox still holds).
            LogFailed(logger, e);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Notification endpoint cursors {Subscribers} start after outbox event {Position}")]
    private static partial void LogStarted(ILogger logger, string subscribers, long position);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Creating the cursors of new notification endpoints failed; they start with the oldest event the outbox holds")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
