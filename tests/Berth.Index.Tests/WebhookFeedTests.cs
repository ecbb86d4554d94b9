using Berth.Data.Entities;
using Berth.Data.Sqlite;
using Berth.Index.Webhooks;
using Microsoft.EntityFrameworkCore;

namespace Berth.Index.Tests;

/// <summary>
/// Webhooks read one feed of events (one row per event) from their own cursors and queue their deliveries from it, a
/// window at a time. What users depend on: every event a webhook subscribes to is queued once and in order, even when
/// several nodes' workers queue for the same webhook at once; a webhook hears only of what happens after it is created
/// or enabled; events are pruned once read and never before. A database file per test, WAL and the server's connection
/// setup, as the server runs it.
/// </summary>
public sealed class WebhookFeedTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("berth-webhook-feed-");
    private readonly string _connectionString;
    private readonly long _namespaceId;
    private readonly long _repositoryId;

    public WebhookFeedTests()
    {
        _connectionString = $"Data Source={Path.Combine(_dir.FullName, "berth.db")}";
        using var db = Context();
        db.Database.EnsureCreated();
        db.Database.ExecuteSqlRaw("PRAGMA journal_mode=WAL");
        var ns = new NamespaceRecord { Name = "alice", Kind = NamespaceKind.User };
        db.Namespaces.Add(ns);
        db.SaveChanges();
        var repository = new RepositoryRecord { Name = "alice/app", Namespace = "alice" };
        db.Repositories.Add(repository);
        db.SaveChanges();
        (_namespaceId, _repositoryId) = (ns.Id, repository.Id);
    }

    [Fact]
    public async Task Four_workers_queueing_for_the_same_webhooks_at_once_queue_every_event_once_and_in_order()
    {
        const int Events = 300;
        var repoHook = await AddWebhookAsync(repositoryId: _repositoryId);
        var namespaceHook = await AddWebhookAsync(namespaceId: _namespaceId);
        var writer = Task.Run(async () =>
        {
            // Events keep coming while the workers queue (as pushes do), a few per transaction.
            for (var i = 0; i < Events; i += 3)
            {
                await AddEventsAsync(i, 3);
            }
        });

        var workers = Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (DateTime.UtcNow < deadline)
            {
                await using var db = Context();
                var feed = new WebhookFeed(db, TimeProvider.System);
                foreach (var hook in await db.Webhooks.AsNoTracking().ToListAsync())
                {
                    await feed.QueueAsync(hook, 7 + worker, CancellationToken.None);
                }

                if (writer.IsCompleted && await db.Webhooks.AllAsync(w => w.EventCursor == db.WebhookEvents.Max(e => e.Id)))
                {
                    return;
                }
            }
        })).ToArray();
        await Task.WhenAll([writer, .. workers]);

        await using var check = Context();
        foreach (var hook in new[] { repoHook, namespaceHook })
        {
            var tags = (await check.WebhookDeliveries.Where(d => d.WebhookId == hook).OrderBy(d => d.Id).Select(d => d.Payload).ToListAsync())
                .Select(p => int.Parse(p.Split('"')[3], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(Enumerable.Range(0, Events), tags);
        }

        Assert.Equal(2 * Events, await check.WebhookDeliveries.Select(d => d.MessageId).Distinct().CountAsync());
    }

    [Fact]
    public async Task A_webhook_hears_only_of_events_after_it_was_created_skips_what_it_does_not_subscribe_to_and_fills_its_window()
    {
        await AddEventsAsync(0, 3);
        var hook = await AddWebhookAsync(repositoryId: _repositoryId, events: "push");
        await AddEventsAsync(3, 5);
        await AddEventsAsync(8, 2, type: "star");
        await AddEventsAsync(10, 5);

        Assert.Equal(4, await QueueAsync(hook, room: 4));
        Assert.Equal(1, await QueueAsync(hook, room: 3)); // then two stars: read, not queued
        Assert.Equal(5, await QueueAsync(hook, room: 10));
        Assert.Equal(0, await QueueAsync(hook, room: 10));

        await using var db = Context();
        var queued = await db.WebhookDeliveries.OrderBy(d => d.Id).Select(d => d.Payload).ToListAsync();
        Assert.Equal([3, 4, 5, 6, 7, 10, 11, 12, 13, 14], queued.Select(p => int.Parse(p.Split('"')[3], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.All(await db.WebhookDeliveries.ToListAsync(), d => Assert.Equal(WebhookDeliveryState.Pending, d.State));
    }

    [Fact]
    public async Task Events_are_pruned_once_every_enabled_webhook_of_their_scope_has_read_them_and_not_before()
    {
        var reader = await AddWebhookAsync(repositoryId: _repositoryId);
        var slow = await AddWebhookAsync(namespaceId: _namespaceId);
        var disabled = await AddWebhookAsync(namespaceId: _namespaceId);
        await AddEventsAsync(0, 6);
        await using (var db = Context())
        {
            await db.Webhooks.Where(w => w.Id == disabled).ExecuteUpdateAsync(w => w.SetProperty(x => x.Enabled, false));
        }

        Assert.Equal(6, await QueueAsync(reader, room: 10));
        Assert.Equal(2, await QueueAsync(slow, room: 2));
        Assert.Equal(2, await PruneAsync());
        Assert.Equal(0, await PruneAsync());

        // The slow one still reads the rest, in order, after the prune.
        Assert.Equal(4, await QueueAsync(slow, room: 10));
        Assert.Equal(4, await PruneAsync());
        await using var check = Context();
        Assert.Equal(0, await check.WebhookEvents.CountAsync());

        // Ids are not reused after a prune emptied the feed, so no cursor skips a new event.
        await AddEventsAsync(6, 1);
        Assert.Equal(1, await QueueAsync(reader, room: 10));
    }

    private async Task<long> AddWebhookAsync(long? repositoryId = null, long? namespaceId = null, string events = "push")
    {
        await using var db = Context();
        var hook = new Webhook
        {
            RepositoryId = repositoryId,
            NamespaceId = namespaceId,
            Url = "https://receiver.test/hook",
            Events = events,
            Secret = "whsec_test",
            EventCursor = await new WebhookFeed(db, TimeProvider.System).NewestAsync(CancellationToken.None),
        };
        db.Webhooks.Add(hook);
        await db.SaveChangesAsync();
        return hook.Id;
    }

    /// <summary>Events <paramref name="first"/>… of alice/app in one transaction; the payload carries the number.</summary>
    private async Task AddEventsAsync(int first, int count, string type = "push")
    {
        await using var db = Context();
        for (var i = first; i < first + count; i++)
        {
            db.WebhookEvents.Add(new WebhookEvent
            {
                RepositoryId = _repositoryId,
                NamespaceId = _namespaceId,
                EventType = type,
                Payload = $$"""{"n":"{{i}}"}""",
                CreatedAt = DateTime.UtcNow,
            });
        }

        await db.SaveChangesAsync();
    }

    private async Task<int> QueueAsync(long webhookId, int room)
    {
        await using var db = Context();
        var webhook = await db.Webhooks.AsNoTracking().SingleAsync(w => w.Id == webhookId);
        return await new WebhookFeed(db, TimeProvider.System).QueueAsync(webhook, room, CancellationToken.None);
    }

    private async Task<int> PruneAsync()
    {
        await using var db = Context();
        return await new WebhookFeed(db, TimeProvider.System).PruneAsync(1000, CancellationToken.None);
    }

    private SqliteBerthDbContext Context() =>
        new(((DbContextOptionsBuilder<SqliteBerthDbContext>)SqliteBerthDbContext.Configure(new DbContextOptionsBuilder<SqliteBerthDbContext>(), _connectionString, synchronousNormal: true)).Options);

    public void Dispose()
    {
        // This database's pool only: clearing every pool would close other test classes' connections mid-test.
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection(_connectionString))
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearPool(connection);
        }

        _dir.Delete(recursive: true);
    }
}
