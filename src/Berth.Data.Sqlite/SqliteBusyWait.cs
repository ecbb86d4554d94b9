using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Berth.Data.Sqlite;

/// <summary>
/// Lets SQLite itself wait for the write lock (<c>sqlite3_busy_timeout</c>) on every connection. Without it
/// Microsoft.Data.Sqlite retries a busy statement in its own loop, sleeping 150 ms between tries, so a write that met
/// another one (two pushes, a push and a webhook delivery) lost 150 ms however short the other was; SQLite's handler
/// tries again after 1, 2, 5, 10 … ms (measured: a writer queued behind a 20 ms transaction finished 13 ms after it
/// instead of 130 ms).
/// </summary>
internal sealed class SqliteBusyWait : DbConnectionInterceptor
{
    public static SqliteBusyWait Instance { get; } = new();

    /// <summary>As long as Microsoft.Data.Sqlite's own default command timeout.</summary>
    private const int WaitMilliseconds = 30_000;

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Apply(connection);

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Apply(connection);
        return Task.CompletedTask;
    }

    private static void Apply(DbConnection connection)
    {
        if (connection is SqliteConnection { Handle: { } handle })
        {
            SQLitePCL.raw.sqlite3_busy_timeout(handle, WaitMilliseconds);
        }
    }
}
