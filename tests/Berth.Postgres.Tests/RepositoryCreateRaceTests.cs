using Berth.Data;
using Berth.Data.Entities;
using Berth.Data.Postgres;
using Berth.Postgres.Tests.Support;
using Microsoft.EntityFrameworkCore;

namespace Berth.Postgres.Tests;

/// <summary>
/// A repository's record is created by its first push, its first mount or the index's first event for it, each by one
/// insert-if-absent. Eight creations of one name at once, outside any transaction (so nothing serialises them), leave
/// one row, give every caller its id without an error, and move the access rules' version once: the winner's insert
/// is the one change of who may do what.
/// </summary>
public sealed class RepositoryCreateRaceTests
{
    private const int Callers = 8;

    [Fact]
    public async Task Eight_creations_of_one_repository_at_once_leave_one_row_whose_id_all_of_them_get()
    {
        await using var database = await FreshDatabase.CreateAsync();
        var version = new AccessRulesVersion();
        await using (var db = Context(database, version))
        {
            await db.MigrateAsync(CancellationToken.None);
        }

        var now = DateTime.UtcNow;
        long[] ids;
        var contexts = Enumerable.Range(0, Callers).Select(_ => Context(database, version)).ToList();
        try
        {
            // Connected first, so the inserts start together rather than one connection's opening apart.
            foreach (var db in contexts)
            {
                await db.Database.OpenConnectionAsync();
            }

            ids = await Task.WhenAll(contexts.Select((db, n) => Task.Run(() =>
                db.GetOrCreateIdAsync("race/created", new RepositoryDefaults(Visibility.Public), now, $"pusher-{n}", CancellationToken.None))));
        }
        finally
        {
            foreach (var db in contexts)
            {
                await db.DisposeAsync();
            }
        }

        await using var check = Context(database, version);
        var rows = await check.Repositories.Where(r => r.Name == "race/created").ToListAsync();
        var row = Assert.Single(rows);
        Assert.All(ids, id => Assert.Equal(row.Id, id));
        Assert.Equal("race", row.Namespace);
        Assert.Equal(Visibility.Public, row.Visibility);
        Assert.StartsWith("pusher-", row.CreatedBy);
        Assert.Equal(1, version.Current);

        // Asked again, the existing record answers: no insert, no change of the rules.
        Assert.Equal(row.Id, await check.GetOrCreateIdAsync("race/created", new RepositoryDefaults(), now, "late", CancellationToken.None));
        Assert.Equal(1, version.Current);
    }

    private static PostgresBerthDbContext Context(FreshDatabase database, AccessRulesVersion version) =>
        new((DbContextOptions<PostgresBerthDbContext>)PostgresBerthDbContext.Configure(new DbContextOptionsBuilder<PostgresBerthDbContext>(), database.ConnectionString)
            .AddInterceptors(new AccessRulesInterceptor(version)).Options);
}
