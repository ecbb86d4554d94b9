using Berth.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Berth.Data.Postgres;

/// <summary>
/// The PostgreSQL flavour of the model; its migrations live beside it. Where PostgreSQL would behave unlike SQLite,
/// this type makes it behave the same: text compares in byte order, transactions write one at a time, and outbox ids
/// commit in the order they are taken.
/// </summary>
public sealed class PostgresBerthDbContext : BerthDbContext
{
    public PostgresBerthDbContext(DbContextOptions<PostgresBerthDbContext> options)
        : base(options)
    {
    }

    /// <summary>How every PostgreSQL context is configured: Npgsql on <paramref name="connectionString"/>, transactions serialised (<see cref="SerializedTransactions"/>).</summary>
    public static DbContextOptionsBuilder Configure(DbContextOptionsBuilder options, string connectionString) =>
        options.UseNpgsql(Tuned(connectionString)).AddInterceptors(SerializedTransactions.Instance);

    /// <summary>
    /// The operator's connection string with Berth's defaults for what they left unset. Every request runs one of a
    /// few dozen statements, so each connection prepares them (<c>Max Auto Prepare</c>): PostgreSQL then skips parsing
    /// and planning, most of the cost of the joins a pull starts with.
    /// </summary>
    public static string Tuned(string connectionString)
    {
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        var keys = given.Keys.Cast<string>().Select(k => k.Replace(" ", "", StringComparison.Ordinal)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!keys.Contains("MaxAutoPrepare"))
        {
            builder.MaxAutoPrepare = 64;
        }

        return builder.ConnectionString;
    }

    public override async Task MigrateAsync(CancellationToken cancellationToken)
    {
        var creator = this.GetService<IRelationalDatabaseCreator>();
        if (!await creator.ExistsAsync(cancellationToken))
        {
            try
            {
                await creator.CreateAsync(cancellationToken);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
            {
                // Another node created it first.
            }
        }

        // One connection for the lock and the migration: a session advisory lock belongs to the connection.
        await Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await Database.ExecuteSqlAsync($"SELECT pg_advisory_lock({AdvisoryLocks.Migration})", cancellationToken);
            try
            {
                await Database.MigrateAsync(cancellationToken);
            }
            finally
            {
                await Database.ExecuteSqlAsync($"SELECT pg_advisory_unlock({AdvisoryLocks.Migration})", CancellationToken.None);
            }
        }
        finally
        {
            await Database.CloseConnectionAsync();
        }
    }

    /// <summary>
    /// Saves as usual; a save that adds outbox events (or webhook events, read by cursor the same way) first takes <see cref="AdvisoryLocks.Outbox"/> in its transaction (one is
    /// begun if the caller has none). Identity values are taken at insert but become visible at commit, so without
    /// the lock a reader could pass an id whose transaction commits later, and that event would never be delivered;
    /// with it, the next outbox writer waits for this one's commit. SQLite has one writer at a time and needs no lock.
    /// (<see cref="SerializedTransactions"/> serialises all transactions today; this lock keeps the outbox's own
    /// guarantee should that ever be narrowed.)
    /// </summary>
    public override async Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        if (!AddsOutboxEvents())
        {
            return await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
        }

        if (Database.CurrentTransaction is not null)
        {
            await LockOutboxAsync(cancellationToken);
            return await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
        }

        await using var transaction = await Database.BeginTransactionAsync(cancellationToken);
        await LockOutboxAsync(cancellationToken);
        var saved = await base.SaveChangesAsync(acceptAllChangesOnSuccess: false, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        if (acceptAllChangesOnSuccess)
        {
            ChangeTracker.AcceptAllChanges();
        }

        return saved;
    }

    /// <summary>Outbox events are saved asynchronously only (the lock above); Berth saves nothing synchronously.</summary>
    public override int SaveChanges(bool acceptAllChangesOnSuccess) => AddsOutboxEvents()
        ? throw new NotSupportedException("outbox events are saved with SaveChangesAsync")
        : base.SaveChanges(acceptAllChangesOnSuccess);

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);

        // SQLite compares text as bytes (BINARY); the "C" collation does the same on UTF-8, so catalog and tag list
        // pages (ORDER BY name, name > last) and unique names are exactly those SQLite gives.
        foreach (var property in modelBuilder.Model.GetEntityTypes().SelectMany(e => e.GetProperties()).Where(p => p.ClrType == typeof(string)))
        {
            property.SetCollation("C");
        }
    }

    private bool AddsOutboxEvents() =>
        ChangeTracker.Entries<OutboxEvent>().Any(e => e.State == EntityState.Added)
        || ChangeTracker.Entries<WebhookEvent>().Any(e => e.State == EntityState.Added);

    private Task LockOutboxAsync(CancellationToken cancellationToken) =>
        Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({AdvisoryLocks.Outbox})", cancellationToken);
}
