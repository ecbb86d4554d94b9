using Berth.Data;
using Berth.Data.Entities;
using Berth.Registry.Events;
using Microsoft.EntityFrameworkCore;

namespace Berth.Server.Hosting;

/// <summary>How the outbox is delivered and kept bounded.</summary>
/// <param name="Hold">Nothing is delivered until this long after start (tests and operators: events pile up in the outbox).</param>
internal sealed record OutboxSettings(TimeSpan Hold, TimeSpan Retention)
{
    public int BatchSize { get; init; } = 100;

    /// <summary>Also read the outbox this often: other nodes commit events this process is not signalled about.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Woken by a commit, the dispatcher waits this long before it reads the outbox, so that a burst of pushes reaches a
    /// subscriber as one batch (the index applies a batch in one transaction) rather than one batch, with its lease and
    /// cursor writes, per push.
    /// </summary>
    public TimeSpan Gather { get; init; } = TimeSpan.FromMilliseconds(50);

    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromMinutes(1);

    public TimeSpan PruneInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Rows deleted by one prune at most, so it never holds the database's write lock for long.</summary>
    public int PruneBatch { get; init; } = 1000;
}

/// <summary>
/// Delivers the outbox to each subscriber from its own cursor (<c>outbox_cursors</c>): events after the cursor's
/// position, in feed order, in batches; the position advances in the database after a batch arrived, so a crash
/// repeats at most that batch (subscribers deduplicate by event id). A failed batch is retried from the same place
/// after an exponential backoff with jitter. A lease on the cursor row, taken by a conditional UPDATE and given back
/// with the position (held only while a batch is out, so a node that dies between batches holds up no other), lets one
/// node at a time deliver per subscriber. Never on a request's path: a client is never told a committed change failed.
/// </summary>
internal sealed partial class OutboxDispatcher(
    IEnumerable<IOutboxSubscriber> subscribers,
    IServiceScopeFactory scopes,
    OutboxSignal signal,
    OutboxSettings settings,
    ClusterLeases leases,
    TimeProvider time,
    ILogger<OutboxDispatcher> logger) : BackgroundService
{
    private readonly IReadOnlyList<IOutboxSubscriber> _subscribers = subscribers.ToList();
    private readonly string _node = NodeId();
    private readonly HashSet<string> _cursorsEnsured = new(StringComparer.Ordinal);
    private DateTime _nextPrune;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (settings.Hold > TimeSpan.Zero)
        {
            LogHeld(logger, settings.Hold.TotalSeconds);
            await Task.Delay(settings.Hold, time, stoppingToken);
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            signal.Arm();
            var more = false;
            foreach (var subscriber in _subscribers)
            {
                try
                {
                    more |= await DeliverNextBatchAsync(subscriber, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    // The database itself failed (busy, gone): the next round tries again from the durable cursor.
                    LogRoundFailed(logger, subscriber.Name, e);
                }
            }

            await PruneIfDueAsync(stoppingToken);
            if (!more)
            {
                await signal.WaitAsync(settings.PollInterval, time, stoppingToken);
                await Task.Delay(settings.Gather, time, stoppingToken);
            }
        }
    }

    /// <summary>Delivers one batch if this node holds (or takes) the subscriber's lease and it is due; true if more may wait.</summary>
    private async Task<bool> DeliverNextBatchAsync(IOutboxSubscriber subscriber, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BerthDbContext>();
        var name = subscriber.Name;
        if (!_cursorsEnsured.Contains(name))
        {
            // A cursor row, once there, is never removed: ask for it once per process, not on every poll.
            await EnsureCursorAsync(db, name, cancellationToken);
            _cursorsEnsured.Add(name);
        }

        // Reads first: an idle poll (nothing new, backing off, another node delivering) writes nothing.
        var now = time.GetUtcNow().UtcDateTime;
        var cursor = await db.OutboxCursors.AsNoTracking().FirstAsync(c => c.Subscriber == name, cancellationToken);
        if (cursor.NextAttemptAt > now
            || (cursor.LeaseOwner is not null && cursor.LeaseOwner != _node && cursor.LeaseUntil >= now)
            || !await db.OutboxEvents.AnyAsync(e => e.Id > cursor.Position, cancellationToken))
        {
            return false;
        }

        // The lease, only if the cursor is still as read: then no other node delivers this subscriber until it is given back.
        var leaseUntil = now + settings.Lease;
        var position = cursor.Position;
        var taken = await db.OutboxCursors
            .Where(c => c.Subscriber == name
                && c.Position == position
                && (c.LeaseOwner == null || c.LeaseOwner == _node || c.LeaseUntil < now)
                && (c.NextAttemptAt == null || c.NextAttemptAt <= now))
            .ExecuteUpdateAsync(c => c.SetProperty(x => x.LeaseOwner, _node).SetProperty(x => x.LeaseUntil, leaseUntil), cancellationToken);
        if (taken == 0)
        {
            return false;
        }

        var rows = await db.OutboxEvents.AsNoTracking()
            .Where(e => e.Id > position)
            .OrderBy(e => e.Id)
            .Take(settings.BatchSize)
            .ToListAsync(cancellationToken);
        if (rows.Count == 0)
        {
            await db.OutboxCursors
                .Where(c => c.Subscriber == name && c.LeaseOwner == _node)
                .ExecuteUpdateAsync(c => c.SetProperty(x => x.LeaseOwner, (string?)null).SetProperty(x => x.LeaseUntil, (DateTime?)null), cancellationToken);
            return false;
        }

        Delivery outcome;
        try
        {
            outcome = await subscriber.DeliverAsync(rows.Select(r => r.ToRegistryEvent()).ToList(), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            outcome = Delivery.Failed(e.Message);
        }

        var last = rows[^1].Id;
        if (outcome.IsDelivered)
        {
            await db.OutboxCursors
                .Where(c => c.Subscriber == name && c.LeaseOwner == _node)
                .ExecuteUpdateAsync(
                    c => c.SetProperty(x => x.Position, last)
                        .SetProperty(x => x.Attempts, 0)
                        .SetProperty(x => x.NextAttemptAt, (DateTime?)null)
                        .SetProperty(x => x.LastError, (string?)null)
                        .SetProperty(x => x.LeaseOwner, (string?)null)
                        .SetProperty(x => x.LeaseUntil, (DateTime?)null),
                    CancellationToken.None); // delivered: record it even while stopping, or it is delivered again
            return rows.Count == settings.BatchSize;
        }

        var attempts = cursor.Attempts + 1;
        var retryAt = time.GetUtcNow().UtcDateTime + RetryBackoff.After(attempts, TimeSpan.FromMilliseconds(500), settings.MaxBackoff);
        var error = outcome.Error!.Length <= 1000 ? outcome.Error : outcome.Error[..1000];
        await db.OutboxCursors
            .Where(c => c.Subscriber == name && c.LeaseOwner == _node)
            .ExecuteUpdateAsync(
                c => c.SetProperty(x => x.Attempts, attempts)
                    .SetProperty(x => x.NextAttemptAt, retryAt)
                    .SetProperty(x => x.LastError, error)
                    .SetProperty(x => x.LeaseOwner, (string?)null)
                    .SetProperty(x => x.LeaseUntil, (DateTime?)null),
                cancellationToken);
        LogDeliveryFailed(logger, name, rows[0].Id, attempts, retryAt, error);
        return false;
    }

    /// <summary>This process, distinct from every other (also after a restart with the same process id); at most 200 characters.</summary>
    private static string NodeId()
    {
        var id = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";
        return id.Length <= 200 ? id : id[^200..];
    }

    /// <summary>Exponential from 0.5 s, capped, with full jitter in its upper half so nodes and subscribers spread out.</summary>

    private static async Task EnsureCursorAsync(BerthDbContext db, string name, CancellationToken cancellationToken)
    {
        if (await db.OutboxCursors.AnyAsync(c => c.Subscriber == name, cancellationToken))
        {
            return;
        }

        var cursor = new OutboxCursor { Subscriber = name };
        db.OutboxCursors.Add(cursor);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another node made it first: the same row.
            db.Entry(cursor).State = EntityState.Detached;
        }
    }

    /// <summary>
    /// Deletes events every configured subscriber has passed that are older than the retention, a bounded number at
    /// a time. Ids are AUTOINCREMENT, never reused, so a deleted position cannot come back under a cursor. One node of
    /// a cluster prunes (the <c>outbox-prune</c> lease, held across two missed runs); delivery needs no such lease, each
    /// cursor row has its own.
    /// </summary>
    private async Task PruneIfDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (now < _nextPrune)
        {
            return;
        }

        _nextPrune = now + settings.PruneInterval;
        try
        {
            if (!await leases.TryHoldAsync(ClusterLeases.OutboxPrune, settings.PruneInterval * 2.5, cancellationToken))
            {
                return;
            }

            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<BerthDbContext>();
            var names = _subscribers.Select(s => s.Name).ToList();
            var positions = await db.OutboxCursors.Where(c => names.Contains(c.Subscriber)).Select(c => c.Position).ToListAsync(cancellationToken);
            // A subscriber without a cursor yet has passed nothing.
            var passed = positions.Count < names.Count ? 0 : positions.DefaultIfEmpty(long.MaxValue).Min();
            var cutoff = now - settings.Retention;
            var upTo = await db.OutboxEvents
                .Where(e => e.Id <= passed && e.CreatedAt < cutoff)
                .OrderBy(e => e.Id)
                .Select(e => e.Id)
                .Skip(settings.PruneBatch - 1)
                .FirstOrDefaultAsync(cancellationToken);
            var limit = upTo == 0 ? passed : upTo;
            var deleted = await db.OutboxEvents.Where(e => e.Id <= limit && e.CreatedAt < cutoff).ExecuteDeleteAsync(cancellationToken);
            if (deleted > 0)
            {
                LogPruned(logger, deleted);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogPruneFailed(logger, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event delivery is held for {Seconds} s after start (EventDeliveryDelaySeconds)")]
    private static partial void LogHeld(ILogger logger, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivering events to {Subscriber} from {FirstId} failed (attempt {Attempts}, next at {RetryAt:O}): {Error}")]
    private static partial void LogDeliveryFailed(ILogger logger, string subscriber, long firstId, int attempts, DateTime retryAt, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "An outbox round for {Subscriber} failed; it is tried again")]
    private static partial void LogRoundFailed(ILogger logger, string subscriber, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Pruned {Count} delivered outbox events")]
    private static partial void LogPruned(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pruning the outbox failed")]
    private static partial void LogPruneFailed(ILogger logger, Exception exception);
}
