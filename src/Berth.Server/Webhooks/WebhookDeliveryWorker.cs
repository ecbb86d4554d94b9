using System.Collections.Concurrent;
using Berth.Data;
using Berth.Data.Entities;
using Berth.Index.Webhooks;
using Berth.Server.Hosting;
using Microsoft.EntityFrameworkCore;

namespace Berth.Server.Webhooks;

/// <summary>
/// Delivers each webhook's queue in order, one request in flight per webhook: a webhook is taken by a lease on its row (a
/// conditional UPDATE, as the outbox cursors), its oldest pending delivery is sent, and the next goes only once that one
/// is delivered or given up. The queue is filled from the event feed (<see cref="WebhookFeed"/>, one row per event
/// written with the change) a window at a time: refilled to <see cref="WebhookDeliverySettings.TurnSize"/> once less
/// than half of it is left, so a webhook that is down or slow holds at most that many queued deliveries, and writes
/// them in a few large transactions rather than ten rows with every push. Different webhooks are delivered in
/// parallel, at most <see cref="WebhookDeliverySettings.Parallelism"/> at once. A turn reads a webhook's queue in one
/// query and records successes a few at a time, a failure at once, so deliveries compete little with pushes for the
/// database. Everything is in the database: a restart (or kill -9) repeats at most the attempt in flight and the
/// turn's unrecorded successes, with the same <c>webhook-id</c>s.
/// </summary>
internal sealed partial class WebhookDeliveryWorker(
    IServiceScopeFactory scopes,
    WebhookSignal signal,
    WebhookSender sender,
    WebhookDeliverySettings settings,
    ClusterLeases leases,
    TimeProvider time,
    ILogger<WebhookDeliveryWorker> logger) : BackgroundService
{
    private const string PruneLease = "webhook-log-prune";

    /// <summary>Windows of <see cref="WebhookDeliverySettings.TurnSize"/> deliveries a turn may send before it gives way.</summary>
    private const int WindowsPerTurn = 4;

    private static readonly TimeSpan GaugeInterval = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<long, Task> _inFlight = new();
    private readonly string _node = leases.Node;
    private DateTime _nextPrune;
    private DateTime _nextGauge;

    /// <summary>A webhook's queue is refilled from the feed once fewer than this many deliveries are pending.</summary>
    private int Refill => Math.Max(1, settings.TurnSize / 2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            signal.Arm();
            try
            {
                foreach (var webhookId in await DueWebhooksAsync(stoppingToken))
                {
                    if (_inFlight.Count >= settings.Parallelism)
                    {
                        break;
                    }

                    if (!_inFlight.ContainsKey(webhookId))
                    {
                        var turn = Task.Run(() => TurnAsync(webhookId, stoppingToken), CancellationToken.None);
                        _inFlight[webhookId] = turn;

                        // Once over (with more to send, or a slot free), look again now rather than at the next poll.
                        _ = turn.ContinueWith(
                            _ =>
                            {
                                _inFlight.TryRemove(new KeyValuePair<long, Task>(webhookId, turn));
                                signal.Notify();
                            },
                            CancellationToken.None,
                            TaskContinuationOptions.ExecuteSynchronously,
                            TaskScheduler.Default);
                    }
                }

                await PruneIfDueAsync(stoppingToken);
                await RefreshGaugeIfDueAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogRoundFailed(logger, e);
            }

            await signal.WaitAsync(settings.PollInterval, time, stoppingToken);
            await Task.Delay(settings.Gather, time, stoppingToken);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await Task.WhenAll(_inFlight.Values).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await ReleaseLeasesAsync();
    }

    /// <summary>
    /// Webhooks that no node holds and whose oldest pending delivery is due (the delivery's own order decides), or whose
    /// queue wants refilling from new events of their scope. Indexed looks at each webhook's queue head and feed: the
    /// cost follows the number of webhooks, not of pending deliveries or events (asked from every pending delivery
    /// instead, a backlog of 30,000 behind slow receivers was read in full on every turn).
    /// </summary>
    private async Task<List<long>> DueWebhooksAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BerthDbContext>();
        var now = time.GetUtcNow().UtcDateTime;
        var refill = Refill;
        return await (from w in db.Webhooks
                      where w.Enabled && (w.LeaseOwner == null || w.LeaseOwner == _node || w.LeaseUntil < now)
                      let headDue = db.WebhookDeliveries
                          .Where(d => d.WebhookId == w.Id && d.State == WebhookDeliveryState.Pending)
                          .OrderBy(d => d.Id)
                          .Select(d => d.NextAttemptAt)
                          .FirstOrDefault()
                      where (headDue != null && headDue <= now)
                          || (db.WebhookDeliveries.Where(d => d.WebhookId == w.Id && d.State == WebhookDeliveryState.Pending).OrderBy(d => d.Id).Take(refill).Count() < refill
                              && (db.WebhookEvents.Any(e => w.RepositoryId != null && e.RepositoryId == w.RepositoryId!.Value && e.Id > w.EventCursor)
                                  || db.WebhookEvents.Any(e => w.NamespaceId != null && e.NamespaceId == w.NamespaceId!.Value && e.Id > w.EventCursor)))
                      orderby headDue
                      select w.Id)
            .Take(settings.Parallelism * 4)
            .ToListAsync(cancellationToken);
    }

    /// <summary>
    /// One webhook's turn: its queue refilled from the feed if it runs low, then its due deliveries in order while they
    /// succeed or are given up, read in one query, for up to <see cref="WindowsPerTurn"/> windows. Successes
    /// are recorded a few at a time (<see cref="WebhookDeliverySettings.SaveEvery"/>) rather than one write each, so a fast
    /// receiver costs the database, and the pushes that share it, little; a crash repeats at most those unrecorded
    /// successes, with their <c>webhook-id</c>s (at least once). A failure is recorded at once and ends the turn.
    /// </summary>
    private async Task TurnAsync(long webhookId, CancellationToken cancellationToken)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<BerthDbContext>();
            var webhook = await db.Webhooks.FirstOrDefaultAsync(w => w.Id == webhookId, cancellationToken);
            if (webhook is null || !webhook.Enabled)
            {
                return;
            }

            var pending = db.WebhookDeliveries
                .Where(d => d.WebhookId == webhookId && d.State == WebhookDeliveryState.Pending)
                .OrderBy(d => d.Id)
                .Take(settings.TurnSize);
            var feed = scope.ServiceProvider.GetRequiredService<WebhookFeed>();
            DateTime? leaseUntil = webhook.LeaseOwner == _node && webhook.LeaseUntil is { } held ? DateTime.SpecifyKind(held, DateTimeKind.Utc) : null;
            var unsaved = 0;
            var checkedAt = time.GetUtcNow();
            try
            {
                // A few windows per turn while every delivery goes through: a fast receiver is not held up by the wait
                // between rounds after each window.
                for (var window = 0; window < WindowsPerTurn; window++)
                {
                    var queue = await pending.ToListAsync(cancellationToken);
                    if (queue.Count < Refill && await feed.QueueAsync(webhook, settings.TurnSize - queue.Count, cancellationToken) > 0)
                    {
                        await db.Entry(webhook).ReloadAsync(cancellationToken); // its new cursor; nothing of it is unsaved here
                        queue = await pending.ToListAsync(cancellationToken);
                    }

                    if (queue.Count == 0 || !webhook.Enabled)
                    {
                        break;
                    }

                    var finished = true;
                    foreach (var delivery in queue)
                    {
                        var started = time.GetUtcNow();
                        if (delivery.NextAttemptAt > started.UtcDateTime)
                        {
                            finished = false;
                            break;
                        }

                        if (started - checkedAt > settings.RecheckAfter)
                        {
                            // An admin may have disabled it, or changed its URL or secret, since the turn began.
                            if (unsaved > 0)
                            {
                                await db.SaveChangesAsync(CancellationToken.None);
                                unsaved = 0;
                            }

                            await db.Entry(webhook).ReloadAsync(cancellationToken);
                            checkedAt = started;
                            if (!webhook.Enabled)
                            {
                                finished = false;
                                break;
                            }
                        }

                        // Held with time for a whole attempt left: nothing to write. Otherwise take or renew it (one UPDATE,
                        // which another node's live lease or a disable refuses).
                        if (leaseUntil is not { } until || until < started.UtcDateTime + settings.Timeout + TimeSpan.FromSeconds(5))
                        {
                            if (!await TryLeaseAsync(db, webhookId, started.UtcDateTime, cancellationToken))
                            {
                                finished = false;
                                break;
                            }

                            leaseUntil = started.UtcDateTime + settings.Lease;
                        }

                        var result = await sender.SendAsync(webhook.Url, webhook.Secret, delivery, started, cancellationToken);
                        if (result.Succeeded)
                        {
                            RecordAttempt(db, delivery, started, result);
                            delivery.State = WebhookDeliveryState.Delivered;
                            delivery.CompletedAt = time.GetUtcNow().UtcDateTime;
                            delivery.NextAttemptAt = null;
                            webhook.FailingSince = null;
                            BerthMetrics.WebhookDeliveries.WithLabels("delivered").Inc();
                            if (++unsaved >= settings.SaveEvery)
                            {
                                await db.SaveChangesAsync(CancellationToken.None);
                                unsaved = 0;
                            }

                            continue;
                        }

                        var next = await RecordFailureAsync(db, webhook, delivery, started, result, cancellationToken);
                        unsaved = 0; // saved with the failure
                        if (!next)
                        {
                            finished = false;
                            break;
                        }
                    }

                    if (!finished)
                    {
                        break;
                    }

                    if (unsaved > 0)
                    {
                        await db.SaveChangesAsync(CancellationToken.None);
                        unsaved = 0;
                    }
                }
            }
            finally
            {
                if (unsaved > 0)
                {
                    // Delivered: recorded even while stopping, or they go again.
                    await db.SaveChangesAsync(CancellationToken.None);
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogTurnFailed(logger, webhookId, e);
        }
    }

    /// <summary>
    /// Takes (or renews) the webhook's lease; false when another node holds it or it was disabled. The lease is kept
    /// after a turn (this node picks up the webhook's next deliveries without writing anything) and given back at
    /// shutdown; a node that dies holds it until it runs out.
    /// </summary>
    private async Task<bool> TryLeaseAsync(BerthDbContext db, long webhookId, DateTime now, CancellationToken cancellationToken)
    {
        var until = now + settings.Lease;
        return await db.Webhooks
            .Where(w => w.Id == webhookId && w.Enabled && (w.LeaseOwner == null || w.LeaseOwner == _node || w.LeaseUntil < now))
            .ExecuteUpdateAsync(w => w.SetProperty(x => x.LeaseOwner, _node).SetProperty(x => x.LeaseUntil, until), cancellationToken) == 1;
    }

    private async Task ReleaseLeasesAsync()
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<BerthDbContext>();
            await db.Webhooks.Where(w => w.LeaseOwner == _node)
                .ExecuteUpdateAsync(w => w.SetProperty(x => x.LeaseOwner, (string?)null).SetProperty(x => x.LeaseUntil, (DateTime?)null), CancellationToken.None);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException)
        {
            // The database is gone: the leases run out by themselves.
            LogRoundFailed(logger, e);
        }
    }

    private static void RecordAttempt(BerthDbContext db, WebhookDelivery delivery, DateTimeOffset started, WebhookAttemptResult result)
    {
        db.WebhookAttempts.Add(new WebhookAttempt
        {
            DeliveryId = delivery.Id,
            At = started.UtcDateTime,
            StatusCode = result.StatusCode,
            DurationMs = result.DurationMs,
            ResponseExcerpt = Bounded(result.ResponseExcerpt, WebhookAttempt.MaxResponseExcerpt),
            Error = Bounded(result.Error, WebhookAttempt.MaxError),
        });
        delivery.Attempts++;
    }

    /// <summary>
    /// Records a failed attempt (with any successes of the turn not yet saved): the delivery is retried later, or given
    /// up after the retry window; a webhook failing for too long is disabled. True when the next delivery may go now.
    /// </summary>
    private async Task<bool> RecordFailureAsync(BerthDbContext db, Webhook webhook, WebhookDelivery delivery, DateTimeOffset started, WebhookAttemptResult result, CancellationToken cancellationToken)
    {
        var webhookId = webhook.Id;
        RecordAttempt(db, delivery, started, result);
        var now = time.GetUtcNow().UtcDateTime;
        var gaveUp = now - DateTime.SpecifyKind(delivery.CreatedAt, DateTimeKind.Utc) >= settings.RetryWindow;
        if (gaveUp)
        {
            delivery.State = WebhookDeliveryState.Failed;
            delivery.CompletedAt = now;
            delivery.NextAttemptAt = null;
        }
        else
        {
            var wait = RetryBackoff.After(delivery.Attempts, settings.FirstRetry, settings.MaxRetry);
            delivery.NextAttemptAt = now + wait;
            if (wait < settings.PollInterval)
            {
                // Sooner than the next poll: wake up for it (a longer wait is met by the polls).
                _ = Task.Delay(wait, time, CancellationToken.None).ContinueWith(_ => signal.Notify(), TaskScheduler.Default);
            }
        }

        webhook.FailingSince ??= started.UtcDateTime;
        var failingFor = now - DateTime.SpecifyKind(webhook.FailingSince.Value, DateTimeKind.Utc);
        var disable = failingFor >= settings.DisableAfter;
        await using var transaction = disable ? await db.Database.BeginTransactionAsync(cancellationToken) : null;
        if (disable)
        {
            webhook.Enabled = false;
            webhook.DisabledAt = now;
            webhook.DisabledReason = Bounded(
                $"disabled by Berth at {now:yyyy-MM-ddTHH:mm:ssZ}: every delivery attempt failed since {webhook.FailingSince:yyyy-MM-ddTHH:mm:ssZ}; last error: {result.Error}",
                1000);
            webhook.UpdatedAt = now;
        }

        await db.SaveChangesAsync(cancellationToken);
        if (transaction is not null)
        {
            // What waits would go to a webhook nobody reads: given up with it (re-enabling starts from new events).
            await db.WebhookDeliveries.Where(d => d.WebhookId == webhookId && d.State == WebhookDeliveryState.Pending)
                .ExecuteUpdateAsync(d => d.SetProperty(x => x.State, WebhookDeliveryState.Failed).SetProperty(x => x.CompletedAt, now).SetProperty(x => x.NextAttemptAt, (DateTime?)null), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            LogDisabled(logger, webhookId, webhook.DisabledReason!);
        }

        BerthMetrics.WebhookDeliveries.WithLabels(gaveUp || disable ? "failed" : "retry").Inc();
        LogAttemptFailed(logger, webhookId, delivery.Id, delivery.Attempts, result.Error ?? "");
        return gaveUp && !disable;
    }

    /// <summary>
    /// Deletes finished deliveries (and, by cascade, their attempts) older than the log's retention, and events every
    /// webhook of their scope has read, a bounded number at a time, on one node of a cluster (a lease held across two
    /// missed runs).
    /// </summary>
    private async Task PruneIfDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (now < _nextPrune)
        {
            return;
        }

        _nextPrune = now + settings.PruneInterval;
        if (!await leases.TryHoldAsync(PruneLease, settings.PruneInterval * 2.5, cancellationToken))
        {
            return;
        }

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BerthDbContext>();
        var cutoff = now - settings.LogRetention;
        var finished = db.WebhookDeliveries.Where(d => d.State != WebhookDeliveryState.Pending && d.CompletedAt < cutoff);
        var upTo = await finished.OrderBy(d => d.Id).Select(d => d.Id).Skip(settings.PruneBatch - 1).FirstOrDefaultAsync(cancellationToken);
        var deleted = await (upTo == 0 ? finished : finished.Where(d => d.Id <= upTo)).ExecuteDeleteAsync(cancellationToken);
        var events = await scope.ServiceProvider.GetRequiredService<WebhookFeed>().PruneAsync(settings.PruneBatch, cancellationToken);
        if (deleted + events > 0)
        {
            LogPruned(logger, deleted, events);
        }
    }

    private async Task RefreshGaugeIfDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (now < _nextGauge)
        {
            return;
        }

        _nextGauge = now + GaugeInterval;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BerthDbContext>();
        BerthMetrics.WebhookPending.Set(await db.WebhookDeliveries.CountAsync(d => d.State == WebhookDeliveryState.Pending, cancellationToken));
    }

    private static string? Bounded(string? text, int max) => text is null || text.Length <= max ? text : text[..max];

    [LoggerMessage(Level = LogLevel.Warning, Message = "A webhook delivery round failed; it is tried again")]
    private static partial void LogRoundFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivering to webhook {WebhookId} failed; it is tried again")]
    private static partial void LogTurnFailed(ILogger logger, long webhookId, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook {WebhookId} delivery {DeliveryId} attempt {Attempts} failed: {Error}")]
    private static partial void LogAttemptFailed(ILogger logger, long webhookId, long deliveryId, int attempts, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {WebhookId} disabled: {Reason}")]
    private static partial void LogDisabled(ILogger logger, long webhookId, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Pruned {Count} finished webhook deliveries and {Events} events read by every webhook")]
    private static partial void LogPruned(ILogger logger, int count, int events);
}
