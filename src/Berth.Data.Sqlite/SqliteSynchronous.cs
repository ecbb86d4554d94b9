using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Berth.Data.Sqlite;

/// <summary>
/// <c>PRAGMA synchronous=NORMAL</c> on every connection (the setting is per connection, not stored in the file): the
/// default, <c>--sqlite-synchronous normal</c>; <c>full</c> leaves SQLite's own default. Under WAL a commit then appends to the log without
/// an fsync; the log is synced at each checkpoint. A crash of the process loses nothing (the log is in the page cache,
/// which the kernel writes out); a crash of the machine or a power loss can lose the last commits before the
/// checkpoint, never corrupt the database. Blob bytes are synced before their row is written either way, so a lost
/// commit leaves bytes no row names (for the collector), never a row naming missing bytes.
/// </summary>
internal sealed class SqliteSynchronous : DbConnectionInterceptor
{
    public static SqliteSynchronous Normal { get; } = new();

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Apply(connection);

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Apply(connection);
        return Task.CompletedTask;
    }

    private static void Apply(DbConnection connection)
    {
        // A native call, not a command: no statement object, no EF Core pipeline, on each open from the pool.
        if (connection is SqliteConnection { Handle: { } handle })
        {
            SqliteException.ThrowExceptionForRC(SQLitePCL.raw.sqlite3_exec(handle, "PRAGMA synchronous=NORMAL"), handle);
        }
    }
}
