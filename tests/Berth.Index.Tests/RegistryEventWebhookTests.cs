using System.Data.Common;
using Berth.Data.Entities;
using Berth.Data.Events;
using Berth.Data.Sqlite;
using Berth.Index.Events;
using Berth.Index.Tests.Support;
using Berth.Index.Webhooks;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Berth.Index.Tests;

/// <summary>
/// The index matches a batch of registry events to webhooks before the batch's write transaction opens (once per
/// repository) and writes one feed row per event, so the matches must carry the batch's own changes along, and a
/// webhook deleted or disabled in the gap must get nothing from them. The gap is made deterministic: the change runs on
/// the same database just before the transaction begins. Each webhook's deliveries are then queued from the feed as
/// the delivery worker does (<see cref="WebhookFeed"/>). One in-memory database per test.
/// </summary>
public sealed class RegistryEventWebhookTests : IDisposable
{
    private readonly SqliteConnection _connection = new("Data Source=:memory:");
    private readonly BeforeTransaction _beforeTransaction = new();
    private readonly SqliteBerthDbContext _db;
    private readonly long _namespaceId;

    public RegistryEventWebhookTests()
    {
        _connection.Open();
        _db = new SqliteBerthDbContext(new DbContextOptionsBuilder<SqliteBerthDbContext>().UseSqlite(_connection).AddInterceptors(_beforeTransaction).Options);
        _db.Database.EnsureCreated();
        var ns = new NamespaceRecord { Name = "alice", Kind = NamespaceKind.User };
        _db.Namespaces.Add(ns);
        _db.SaveChanges();
        _db.Accounts.Add(new Account { Name = "alice", NamespaceId = ns.Id, PasswordHash = "-" });
        _db.SaveChanges();
        _namespaceId = ns.Id;
    }

    [Fact]
    public async Task A_burst_of_pushes_that_creates_a_repository_announces_it_once_before_its_pushes()
    {
        var hook = AddWebhook(namespaceId: _namespaceId, events: "repository.created,push");

        await Receiver().ApplyAllOnceAsync([Push("alice/new", "t1"), Push("alice/new", "t2"), Push("alice/new", "t3")], CancellationToken.None);

        Assert.Equal(["repository.created", "push", "push", "push"], await _db.WebhookEvents.OrderBy(e => e.Id).Select(e => e.EventType).ToListAsync());
        Assert.Equal(4, await QueueAsync(hook));
        Assert.Equal(["repository.created", "push", "push", "push"], await _db.WebhookDeliveries.OrderBy(d => d.Id).Select(d => d.EventType).ToListAsync());

        // A later batch into the same repository does not announce it again.
        await Receiver().ApplyAllOnceAsync([Push("alice/new", "t4")], CancellationToken.None);
        Assert.Equal(1, await QueueAsync(hook));
        Assert.Equal(1, await _db.WebhookDeliveries.CountAsync(d => d.EventType == "repository.created"));
    }

    [Fact]
    public async Task A_webhook_deleted_or_disabled_between_the_match_and_the_transaction_gets_nothing_and_the_batch_applies()
    {
        var repository = new RepositoryRecord { Name = "alice/app", Namespace = "alice", Visibility = Visibility.Private };
        _db.Repositories.Add(repository);
        await _db.SaveChangesAsync();
        var deleted = AddWebhook(repositoryId: repository.Id);
        var disabled = AddWebhook(repositoryId: repository.Id);
        var kept = AddWebhook(repositoryId: repository.Id);
        _beforeTransaction.Run = async () =>
        {
            await using var other = new SqliteBerthDbContext(new DbContextOptionsBuilder<SqliteBerthDbContext>().UseSqlite(_connection).Options);
            await other.Webhooks.Where(w => w.Id == deleted).ExecuteDeleteAsync();
            await other.Webhooks.Where(w => w.Id == disabled).ExecuteUpdateAsync(w => w.SetProperty(x => x.Enabled, false));
        };

        // When a push wrote a delivery row per webhook, the deleted webhook's row broke its foreign key and failed the
        // whole batch; the feed's rows name no webhook.
        await Receiver().ApplyAllOnceAsync([Push("alice/app", "a"), Push("alice/app", "b")], CancellationToken.None);

        Assert.True(_beforeTransaction.Ran);
        Assert.Equal(2, await _db.WebhookEvents.CountAsync());
        Assert.Equal(0, await QueueAsync(disabled));
        Assert.Equal(2, await QueueAsync(kept));
        Assert.Equal([kept, kept], await _db.WebhookDeliveries.OrderBy(d => d.Id).Select(d => d.WebhookId).ToListAsync());
        Assert.Equal(["a", "b"], await _db.TagSummaries.Where(t => t.RepositoryId == repository.Id).OrderBy(t => t.Tag).Select(t => t.Tag).ToListAsync());
    }

    [Fact]
    public async Task Pulls_and_other_repositories_of_a_batch_match_their_own_webhooks()
    {
        _db.Repositories.AddRange(
            new RepositoryRecord { Name = "alice/one", Namespace = "alice", Visibility = Visibility.Private, LastPushedAt = DateTime.UtcNow },
            new RepositoryRecord { Name = "alice/two", Namespace = "alice", Visibility = Visibility.Private, LastPushedAt = DateTime.UtcNow });
        await _db.SaveChangesAsync();
        var one = AddWebhook(repositoryId: await _db.Repositories.Where(r => r.Name == "alice/one").Select(r => r.Id).SingleAsync());
        var two = AddWebhook(repositoryId: await _db.Repositories.Where(r => r.Name == "alice/two").Select(r => r.Id).SingleAsync());

        RegistryEvent pull = Push("alice/one", null) with { Action = RegistryActions.Pull, Count = 3 };
        await Receiver().ApplyAllOnceAsync([Push("alice/two", "x"), pull, Push("alice/one", "y"), Push("alice/two", "z")], CancellationToken.None);

        Assert.Equal(3, await _db.WebhookEvents.CountAsync());
        Assert.Equal(1, await QueueAsync(one));
        Assert.Equal(2, await QueueAsync(two));
        var deliveries = await _db.WebhookDeliveries.OrderBy(d => d.Id).Select(d => new { d.WebhookId, d.Payload }).ToListAsync();
        Assert.Equal([one, two, two], deliveries.Select(d => d.WebhookId));
        Assert.Contains("\"tag\":\"y\"", deliveries[0].Payload, StringComparison.Ordinal);
        Assert.Contains("\"tag\":\"x\"", deliveries[1].Payload, StringComparison.Ordinal);
        Assert.Contains("\"tag\":\"z\"", deliveries[2].Payload, StringComparison.Ordinal);
    }

    private RegistryEventReceiver Receiver() => EventReceivers.Over(_db);

    /// <summary>Queues what the webhook has in the feed, as the delivery worker's turn does.</summary>
    private async Task<int> QueueAsync(long webhookId)
    {
        var webhook = await _db.Webhooks.AsNoTracking().SingleAsync(w => w.Id == webhookId);
        return await new WebhookFeed(_db, TimeProvider.System).QueueAsync(webhook, 50, CancellationToken.None);
    }

    private long AddWebhook(long? repositoryId = null, long? namespaceId = null, string events = "push")
    {
        var hook = new Webhook { RepositoryId = repositoryId, NamespaceId = namespaceId, Url = "https://receiver.test/hook", Events = events, Secret = "whsec_test" };
        _db.Webhooks.Add(hook);
        _db.SaveChanges();
        return hook.Id;
    }

    private static RegistryEvent Push(string repository, string? tag) =>
        new(Guid.NewGuid().ToString("N"), RegistryActions.Push, repository, tag, "sha256:" + new string('a', 64), "application/vnd.oci.image.manifest.v1+json", 500, 1500, "alice", DateTime.UtcNow);

    public void Dispose()
    {
        _db.Dispose();
        _connection.Dispose();
    }

    /// <summary>Runs <see cref="Run"/> once, on the database, just before the next transaction begins.</summary>
    private sealed class BeforeTransaction : DbTransactionInterceptor
    {
        public Func<Task>? Run { get; set; }

        public bool Ran { get; private set; }

        public override async ValueTask<InterceptionResult<DbTransaction>> TransactionStartingAsync(
            DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result, CancellationToken cancellationToken = default)
        {
            if (Run is { } run && !Ran)
            {
                Ran = true;
                await run();
            }

            return result;
        }
    }
}
