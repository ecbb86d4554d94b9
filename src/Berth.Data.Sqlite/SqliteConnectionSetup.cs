using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Berth.Data.Sqlite;

/// <summary>
/// What every connection gets when it opens (from the pool too: both settings belong to the connection, not the file),
/// by native calls rather than commands (no statement object, no EF Core pipeline):
/// <list type="bullet">
/// <item>A wait for the write lock inside SQLite (<see cref="SqliteWriteWait"/>, which wakes at the holder's commit; SQLite's
/// own <c>sqlite3_busy_timeout</c> where that is not available). Without one Microsoft.Data.Sqlite retries a busy statement
/// in its own loop, sleeping 150 ms between tries, so a write that met another one (two pushes, a push and a webhook
/// delivery) lost 150 ms however short the other was.</item>
/// <item>With <see cref="Normal"/> (<c>--sqlite-synchronous normal</c>, the default), <c>PRAGMA synchronous=NORMAL</c>:
/// under WAL a commit appends to the log without an fsync; the log is synced at each checkpoint. A crash of the process
/// loses nothing (the log is in the page cache, which the kernel writes out); a crash of the machine or a power loss can
/// lose the last commits before the checkpoint, never corrupt the database. Blob bytes are synced before their row is
/// written either way, so a lost commit leaves bytes no row names, never a row naming missing bytes. <see cref="Full"/>
/// leaves SQLite's own default (every commit waits for the disk).</item>
/// </list>
/// </summary>
internal sealed class SqliteConnectionSetup : DbConnectionInterceptor
{
    /// <summary>How long a statement waits for the write lock: as long as Microsoft.Data.Sqlite's own default command timeout.</summary>
    internal const int WaitMilliseconds = 30_000;

    private readonly bool _synchronousNormal;

    private SqliteConnectionSetup(bool synchronousNormal) => _synchronousNormal = synchronousNormal;

    public static SqliteConnectionSetup Full { get; } = new(false);

    public static SqliteConnectionSetup Normal { get; } = new(true);

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Apply(connection);

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Apply(connection);
        return Task.CompletedTask;
    }

    private void Apply(DbConnection connection)
    {
        if (connection is SqliteConnection { Handle: { } handle })
        {
            if (!SqliteWriteWait.TryInstall(handle))
            {
                SQLitePCL.raw.sqlite3_busy_timeout(handle, WaitMilliseconds);
            }

            if (_synchronousNormal)
            {
                SqliteException.ThrowExceptionForRC(SQLitePCL.raw.sqlite3_exec(handle, "PRAGMA synchronous=NORMAL"), handle);
            }
        }
    }
}
