using System.Diagnostics;
using System.Globalization;
using Berth.Data.Entities;
using Berth.Data.Postgres;
using Berth.Index.Webhooks;
using Berth.Postgres.Tests.Support;
using Microsoft.EntityFrameworkCore;

namespace Berth.Postgres.Tests;

/// <summary>
/// Webhooks read the event feed (<c>webhook_events</c>) past their own cursors, as the outbox's subscribers do, so the
/// same hazard applies: ids are taken at insert and seen at commit, and a cursor moved past an id whose transaction
/// commits later would skip that event for good. An event saved without a transaction of the caller's must wait for
/// one saved in a transaction still open; and workers of several nodes queueing for the same webhooks at once must queue
/// every event once and in order.
/// </summary>
public sealed class WebhookFeedOrderTests
{
    [Fact]
    public async Task An_event_saved_while_an_earlier_one_is_uncommitted_waits_and_both_are_queued_in_order()
    {
        await using var database = await FreshDatabase.CreateAsync();
        var (hook, repositoryId) = await SetUpAsync(database);

        await using var holder = Context(database);
        await using var transaction = await holder.Database.BeginTransactionAsync();
        holder.WebhookEvents.Add(Event(repositoryId, 1));
        await holder.SaveChangesAsync();

        // As a star or a comment saves its event: no transaction of its own.
        await using var other = Context(database);
        other.WebhookEvents.Add(Event(repositoryId, 2));
        var later = other.SaveChangesAsync();
        await Eventually.HoldsAsync(async () => await database.WaitingForAdvisoryLockAsync() || later.IsCompleted, "the later save neither waited nor finished");
        Assert.False(later.IsCompleted, "an event was saved past one still uncommitted");

        // The feed meanwhile holds nothing a reader could pass.
        Assert.Equal(0, await QueueAsync(database, hook));
        await transaction.CommitAsync();
        await later;

        Assert.Equal(2, await QueueAsync(database, hook));
        Assert.Equal([1, 2], await QueuedAsync(database, hook));
    }

    [Fact]
    public async Task Four_workers_queueing_for_the_same_webhook_queue_every_event_once_and_in_order()
    {
        const int Events = 120;
        await using var database = await FreshDatabase.CreateAsync();
        var (hook, repositoryId) = await SetUpAsync(database);
        var writer = Task.Run(async () =>
        {
            for (var i = 0; i < Events; i += 3)
            {
                await using var db = Context(database);
                db.WebhookEvents.AddRange(Enumerable.Range(i, 3).Select(n => Event(repositoryId, n)));
                await db.SaveChangesAsync();
            }
        });

        var workers = Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < Eventually.Deadline)
            {
                await using var db = Context(database);
                var webhook = await db.Webhooks.AsNoTracking().SingleAsync(w => w.Id == hook);
                await new WebhookFeed(db, TimeProvider.System).QueueAsync(webhook, 7 + worker, CancellationToken.None);
                if (writer.IsCompleted && webhook.EventCursor == await db.WebhookEvents.MaxAsync(e => e.Id))
                {
                    return;
                }
            }
        })).ToArray();
        await Task.WhenAll([writer, .. workers]);

        Assert.Equal(Enumerable.Range(0, Events), await QueuedAsync(database, hook));
    }

    private static async Task<(long Hook, long RepositoryId)> SetUpAsync(FreshDatabase database)
    {
        await using var db = Context(database);
        await db.MigrateAsync(CancellationToken.None);
        var repository = new RepositoryRecord { Name = "feed/app", Namespace = "feed" };
        db.Repositories.Add(repository);
        await db.SaveChangesAsync();
        var hook = new Webhook { RepositoryId = repository.Id, Url = "https://receiver.test/hook", Events = "push", Secret = "whsec_test" };
        db.Webhooks.Add(hook);
        await db.SaveChangesAsync();
        return (hook.Id, repository.Id);
    }

    private static WebhookEvent Event(long repositoryId, int n) =>
        new() { RepositoryId = repositoryId, EventType = "push", Payload = $$"""{"n":"{{n}}"}""", CreatedAt = DateTime.UtcNow };

    private static async Task<int> QueueAsync(FreshDatabase database, long hook)
    {
        await using var db = Context(database);
        var webhook = await db.Webhooks.AsNoTracking().SingleAsync(w => w.Id == hook);
        return await new WebhookFeed(db, TimeProvider.System).QueueAsync(webhook, 50, CancellationToken.None);
    }

    private static async Task<List<int>> QueuedAsync(FreshDatabase database, long hook)
    {
        await using var db = Context(database);
        var payloads = await db.WebhookDeliveries.Where(d => d.WebhookId == hook).OrderBy(d => d.Id).Select(d => d.Payload).ToListAsync();
        return payloads.Select(p => int.Parse(p.Split('"')[3], CultureInfo.InvariantCulture)).ToList();
    }

    private static PostgresBerthDbContext Context(FreshDatabase database) =>
        new((DbContextOptions<PostgresBerthDbContext>)PostgresBerthDbContext.Configure(new DbContextOptionsBuilder<PostgresBerthDbContext>(), database.ConnectionString).Options);
}
