using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Berth.Data.Sqlite;

/// <summary>The SQLite flavour of the model; its migrations live beside it.</summary>
public sealed class SqliteBerthDbContext : BerthDbContext
{
    public SqliteBerthDbContext(DbContextOptions<SqliteBerthDbContext> options)
        : base(options)
    {
    }

    /// <summary>
    /// The provider's options for <paramref name="connectionString"/>, with a wait for the write lock on every connection
    /// and, with <paramref name="synchronousNormal"/>, commits that do not wait for the disk (<see cref="SqliteConnectionSetup"/>).
    /// </summary>
    public static DbContextOptionsBuilder Configure(DbContextOptionsBuilder options, string connectionString, bool synchronousNormal)
    {
        options.UseSqlite(connectionString)
            // SQLite rebuilds a table to alter it, between PRAGMA foreign_keys = 0 and = 1, which cannot run in the
            // migration's transaction; EF Core warns at every first start. Nothing an operator can act on.
            .ConfigureWarnings(w => w.Ignore(Microsoft.EntityFrameworkCore.Diagnostics.RelationalEventId.NonTransactionalMigrationOperationWarning))
            .AddInterceptors(synchronousNormal ? SqliteConnectionSetup.Normal : SqliteConnectionSetup.Full);
        return options;
    }

    public override async Task MigrateAsync(CancellationToken cancellationToken)
    {
        // EF Core's migration lock (a row in __EFMigrationsLock) keeps two processes on one file from migrating at once.
        await Database.MigrateAsync(cancellationToken);

        // WAL lets readers proceed while a push writes; the setting is stored in the file.
        await Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
    }
}

/// <summary>Lets <c>dotnet ef migrations add</c> build the context without the server.</summary>
internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteBerthDbContext>
{
    public SqliteBerthDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteBerthDbContext>().UseSqlite("Data Source=design.db").Options);
}
