using Berth.Data.Events;
using Berth.Data.Postgres;
using Berth.Index.Tests.Support;
using Berth.Postgres.Tests.Support;
using Microsoft.EntityFrameworkCore;

namespace Berth.Postgres.Tests;

/// <summary>
/// The index applies registry events on every node that hears them: a separate registry's retried delivery can reach
/// two nodes at once. An event's id is recorded in the transaction that applies it, and the insert decides (insert if
/// absent, no error): applied once, whichever node wins. Pushes of one tag applied at once leave one summary row.
/// </summary>
public sealed class EventApplyRaceTests
{
    private const int Nodes = 8;

    [Fact]
    public async Task The_same_event_applied_by_eight_nodes_at_once_counts_once()
    {
        await using var database = await FreshDatabase.CreateAsync();
        await MigrateAsync(database);
        var pull = Event(RegistryActions.Pull, "race/app", tag: null, digest: "sha256:" + new string('a', 64)) with { Count = 5 };
        await ApplyOnceAsync(database, Event(RegistryActions.Push, "race/app", "v1", "sha256:" + new string('a', 64)));

        var applied = await Task.WhenAll(Enumerable.Range(0, Nodes).Select(_ => Task.Run(() => ApplyOnceAsync(database, pull))));

        Assert.Single(applied, a => a);
        await using var db = Context(database);
        Assert.Equal(5, await db.Repositories.Where(r => r.Name == "race/app").Select(r => r.PullCount).SingleAsync());
    }

    [Fact]
    public async Task Pushes_of_one_tag_applied_at_once_leave_one_summary_of_one_of_them()
    {
        await using var database = await FreshDatabase.CreateAsync();
        await MigrateAsync(database);
        var pushes = Enumerable.Range(0, Nodes)
            .Select(n => Event(RegistryActions.Push, "race/tagged", "latest", "sha256:" + new string((char)('a' + n), 64)))
            .ToList();

        var applied = await Task.WhenAll(pushes.Select(e => Task.Run(() => ApplyOnceAsync(database, e))));

        Assert.All(applied, Assert.True);
        await using var db = Context(database);
        var summary = await db.TagSummaries.Join(db.Repositories.Where(r => r.Name == "race/tagged"), t => t.RepositoryId, r => r.Id, (t, _) => t).SingleAsync();
        Assert.Equal("latest", summary.Tag);
        Assert.Contains(summary.Digest, pushes.Select(p => p.Digest));
    }

    private static async Task<bool> ApplyOnceAsync(FreshDatabase database, RegistryEvent e)
    {
        await using var db = Context(database);
        return await EventReceivers.Over(db).ApplyOnceAsync(e, registryUrl: null, CancellationToken.None);
    }

    private static RegistryEvent Event(string action, string repository, string? tag, string digest) =>
        new(Guid.NewGuid().ToString("N"), action, repository, tag, digest, "application/vnd.oci.image.manifest.v1+json", 100, 1000, null, DateTime.UtcNow);

    private static async Task MigrateAsync(FreshDatabase database)
    {
        await using var db = Context(database);
        await db.MigrateAsync(CancellationToken.None);
    }

    private static PostgresBerthDbContext Context(FreshDatabase database) =>
        new((DbContextOptions<PostgresBerthDbContext>)PostgresBerthDbContext.Configure(new DbContextOptionsBuilder<PostgresBerthDbContext>(), database.ConnectionString).Options);
}
