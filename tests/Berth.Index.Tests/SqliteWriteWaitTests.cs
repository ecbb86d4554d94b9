using Berth.Data.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Berth.Index.Tests;

/// <summary>
/// The server's SQLite connections wait for the write lock in their own busy handler, woken by commits in the process
/// (<c>SqliteWriteWait</c>), and the WAL hook that wakes them replaces SQLite's automatic checkpoint. What that must keep:
/// every concurrent write commits, none is lost, a lock released without a commit (a rollback on a connection outside
/// the server's, as another process would) still lets the others in, and the log is still checkpointed.
/// A database file per test.
/// </summary>
public sealed class SqliteWriteWaitTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("berth-sqlite-wait-");
    private readonly string _connectionString;

    public SqliteWriteWaitTests()
    {
        _connectionString = $"Data Source={Path.Combine(_dir.FullName, "berth.db")}";
        using var db = Context();
        db.Database.ExecuteSqlRaw("PRAGMA journal_mode=WAL");
        db.Database.ExecuteSqlRaw("CREATE TABLE counter (n INTEGER NOT NULL); INSERT INTO counter VALUES (0); CREATE TABLE filler (id INTEGER PRIMARY KEY, data BLOB NOT NULL)");
    }

    [Fact]
    public async Task Concurrent_read_modify_write_transactions_all_commit_and_none_is_lost_while_an_outside_connection_holds_the_lock_and_rolls_back()
    {
        const int Writers = 8;
        const int Each = 40;
        using var go = new ManualResetEventSlim();

        // Another process's connection (none of the server's hooks): it takes the lock, holds it, and lets it go by a
        // rollback, which signals nothing in this process.
        var outside = Task.Run(() =>
        {
            using var connection = new SqliteConnection(_connectionString);
            connection.Open();
            go.Wait();
            for (var round = 0; round < 3; round++)
            {
                using var transaction = connection.BeginTransaction(deferred: false);
                using (var command = connection.CreateCommand())
                {
                    command.CommandText = "UPDATE counter SET n = n + 1000000";
                    command.ExecuteNonQuery();
                }

                Thread.Sleep(150);
                transaction.Rollback();
                Thread.Sleep(50);
            }
        });

        var writers = Enumerable.Range(0, Writers).Select(_ => Task.Run(async () =>
        {
            go.Wait();
            for (var i = 0; i < Each; i++)
            {
                await using var db = Context();
                await using var transaction = await db.Database.BeginTransactionAsync();
                var n = await db.Database.SqlQueryRaw<long>("SELECT n AS Value FROM counter").SingleAsync();
                await db.Database.ExecuteSqlRawAsync("UPDATE counter SET n = {0}", n + 1);
                await transaction.CommitAsync();
            }
        })).ToList();

        go.Set();
        await Task.WhenAll(writers.Append(outside)).WaitAsync(TimeSpan.FromSeconds(120));

        await using var check = Context();
        Assert.Equal(Writers * Each, await check.Database.SqlQueryRaw<long>("SELECT n AS Value FROM counter").SingleAsync());
    }

    [Fact]
    public async Task The_log_is_still_checkpointed_so_it_stays_bounded_over_thousands_of_commits()
    {
        const int Commits = 12_000;
        var row = new byte[3000]; // about one page per commit
        var log = new FileInfo(Path.Combine(_dir.FullName, "berth.db-wal"));

        // The server keeps connections open; so does this test. Were the last one closed, SQLite would checkpoint and
        // delete the log itself, and the test would see that instead of the hook's work.
        await using var held = new SqliteConnection(_connectionString);
        await held.OpenAsync();

        long longest = 0;
        await using (var db = Context())
        {
            for (var i = 0; i < Commits; i++)
            {
                await db.Database.ExecuteSqlRawAsync("INSERT INTO filler (data) VALUES ({0})", row);
                if (i % 500 == 499)
                {
                    log.Refresh();
                    Assert.True(log.Exists, $"the log is gone after {i + 1} commits while a connection is open");
                    longest = Math.Max(longest, log.Length);
                }
            }

            Assert.Equal(Commits, await db.Database.SqlQueryRaw<long>("SELECT count(*) AS Value FROM filler").SingleAsync());
        }

        // The hook checkpoints from 1,000 frames of 4 KiB on, at most every 100 ms, and at once past 10,000 frames;
        // after a checkpoint the log is written from its start again. Without one it would hold every commit's
        // pages (3,000 commits made 37 MB).
        Assert.InRange(longest, 1, 48L << 20);
    }

    public void Dispose()
    {
        // This database's pool only: clearing every pool would close other test classes' connections mid-test.
        using (var connection = new SqliteConnection(_connectionString))
        {
            SqliteConnection.ClearPool(connection);
        }

        _dir.Delete(recursive: true);
    }

    private SqliteBerthDbContext Context() =>
        new(((DbContextOptionsBuilder<SqliteBerthDbContext>)SqliteBerthDbContext.Configure(new DbContextOptionsBuilder<SqliteBerthDbContext>(), _connectionString, synchronousNormal: true)).Options);
}
