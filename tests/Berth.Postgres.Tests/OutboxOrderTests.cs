using Berth.Data.Events;
using Berth.Data.Postgres;
using Berth.Postgres.Tests.Support;
using Berth.Registry.Events;
using Berth.Testing;
using Microsoft.EntityFrameworkCore;

namespace Berth.Postgres.Tests;

/// <summary>
/// PostgreSQL hands out identity values at insert but shows rows at commit, so outbox ids could become visible out of
/// order and the dispatcher, reading past its cursor, would skip the late one for good. Outbox writers are serialised
/// until commit: every event reaches the index.
/// </summary>
public sealed class OutboxOrderTests
{
    [Fact]
    public async Task An_event_committed_after_a_later_push_is_still_delivered_to_the_index()
    {
        await using var database = await FreshDatabase.CreateAsync();
        await using var server = await RegistryServer.StartAsync(extraArgs: database.ServerArgs);
        using var http = Images.Client(server.BaseUri);
        var digest = await Images.PushAsync(http, "outbox/base", "v1");
        await Eventually.HoldsAsync(async () => await ReceivedAsync(database) >= 1, "the first push's event never reached the index");

        // A writer (as the registry writes) holds its event uncommitted; its id is taken, so it is below the next push's.
        var options = PostgresBerthDbContext.Configure(new DbContextOptionsBuilder<PostgresBerthDbContext>(), database.ConnectionString).Options;
        await using var db = new PostgresBerthDbContext((DbContextOptions<PostgresBerthDbContext>)options);
        var held = new RegistryEvent(Outbox.NewEventId(), RegistryActions.Push, "outbox/base", "held", digest, Images.ManifestType, 1, 1, null, DateTime.UtcNow);
        await using var transaction = await db.Database.BeginTransactionAsync();
        db.AddOutboxEvent(held);
        await db.SaveChangesAsync();
        var heldId = await db.OutboxEvents.Where(e => e.EventId == held.Id).Select(e => e.Id).SingleAsync();

        // Another push meanwhile: it must wait for the held writer, or at least not let the feed pass the held id.
        var later = Images.PushAsync(http, "outbox/later", "v1", seed: "later");
        await Eventually.HoldsAsync(
            async () => await database.WaitingForAdvisoryLockAsync() || await CursorAsync(database) > heldId,
            "the later push neither waited for the held event nor was delivered");
        var skipped = await CursorAsync(database) > heldId;
        await transaction.CommitAsync();
        await later;

        Assert.False(skipped, $"the feed passed event {heldId} before it was committed");
        await Eventually.HoldsAsync(
            async () => await database.ScalarAsync<long>("SELECT count(*) FROM received_events WHERE \"Id\" = $1", held.Id) == 1,
            $"event {heldId}, committed after a later one, never reached the index");
    }

    [Fact]
    public async Task Concurrent_pushes_into_one_repository_all_reach_the_index()
    {
        const int Pushes = 24;
        await using var database = await FreshDatabase.CreateAsync();
        await using var server = await RegistryServer.StartAsync(extraArgs: database.ServerArgs);
        await Task.WhenAll(Enumerable.Range(0, Pushes).Select(async i =>
        {
            using var http = Images.Client(server.BaseUri);
            await Images.PushAsync(http, "outbox/many", $"t{i}", seed: $"s{i}");
        }));

        // Every event the registry wrote is one the index applied, and the index knows every tag.
        await Eventually.HoldsAsync(
            async () => await database.ScalarAsync<long>("SELECT count(*) FROM outbox_events o WHERE NOT EXISTS (SELECT 1 FROM received_events r WHERE r.\"Id\" = o.\"EventId\")") == 0,
            "some outbox events never reached the index");
        var summaries = await database.ScalarAsync<long>(
            "SELECT count(*) FROM tag_summaries t JOIN repositories r ON r.\"Id\" = t.\"RepositoryId\" WHERE r.\"Name\" = 'outbox/many'");
        Assert.Equal(Pushes, summaries);
    }

    [Fact]
    public async Task A_batch_delivered_again_applies_only_its_new_event()
    {
        await using var database = await FreshDatabase.CreateAsync();
        await using var server = await RegistryServer.StartAsync(extraArgs: database.ServerArgs);
        using var http = Images.Client(server.BaseUri);
        for (var i = 0; i < 3; i++)
        {
            await Images.PushAsync(http, "outbox/again", $"t{i}", seed: $"again{i}");
        }

        await Eventually.HoldsAsync(async () => await ReceivedAsync(database) == 3 && await IdleAtEndAsync(database), "the first three events never reached the index");

        // As after a crash between the index's commit and the cursor's: the next batch repeats the three applied events
        // before the new one, in one transaction, where each repeat's refused insert must not spoil the rest.
        await database.ScalarAsync<long>("WITH moved AS (UPDATE outbox_cursors SET \"Position\" = 0 RETURNING 1) SELECT count(*) FROM moved");
        await Images.PushAsync(http, "outbox/again", "t3", seed: "again3");

        await Eventually.HoldsAsync(async () => await ReceivedAsync(database) == 4 && await IdleAtEndAsync(database), "the batch with the new event was never applied");
        var summaries = await database.ScalarAsync<long>(
            "SELECT count(*) FROM tag_summaries t JOIN repositories r ON r.\"Id\" = t.\"RepositoryId\" WHERE r.\"Name\" = 'outbox/again'");
        Assert.Equal(4, summaries);
        Assert.Equal(4, await ReceivedAsync(database));
    }

    /// <summary>Every subscriber's cursor at the last event, no batch out.</summary>
    private static async Task<bool> IdleAtEndAsync(FreshDatabase database) =>
        await database.ScalarAsync<long>(
            "SELECT count(*) FROM outbox_cursors WHERE \"LeaseOwner\" IS NOT NULL OR \"Position\" < (SELECT coalesce(max(\"Id\"), 0) FROM outbox_events)") == 0;

    private static Task<long> ReceivedAsync(FreshDatabase database) =>
        database.ScalarAsync<long>("SELECT count(*) FROM received_events");

    private static Task<long> CursorAsync(FreshDatabase database) =>
        database.ScalarAsync<long>("SELECT coalesce(max(\"Position\"), 0) FROM outbox_cursors");
}
