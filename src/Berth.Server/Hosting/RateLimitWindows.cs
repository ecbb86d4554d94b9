using Berth.Data;
using Microsoft.EntityFrameworkCore;

namespace Berth.Server.Hosting;

/// <summary>What the cluster has admitted for one key: the current window and the one before it.</summary>
internal sealed class WindowCounts
{
    public long Count { get; init; }

    public long PreviousCount { get; init; }
}

/// <summary>
/// The cluster-wide request counts behind <see cref="ClusterRateLimiter"/> (<c>rate_limit_windows</c>): a node adds what
/// it admitted since its last report and reads back the cluster's total, in one statement.
/// </summary>
internal sealed class RateLimitWindows(IServiceScopeFactory scopes)
{
    /// <summary>
    /// Adds <paramref name="admitted"/> to <paramref name="key"/>'s count in <paramref name="window"/> and returns the
    /// counts after it. A newer window rolls the row (its count becomes the previous one when consecutive); a report
    /// for a window the row has passed changes nothing and reads as zero (that window is over).
    /// </summary>
    public async Task<WindowCounts> AddAsync(string key, long window, long admitted, DateTime expires, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BerthDbContext>();

        // An upsert with RETURNING: SQLite (3.35+) and PostgreSQL alike. Every right-hand side reads the old row.
        var rows = await db.Database.SqlQuery<WindowCounts>(
            $"""
            INSERT INTO "rate_limit_windows" ("Key", "Window", "Count", "PreviousCount", "Expires")
            VALUES ({key}, {window}, {admitted}, 0, {expires})
            ON CONFLICT ("Key") DO UPDATE SET
                "PreviousCount" = CASE
                    WHEN "rate_limit_windows"."Window" = excluded."Window" THEN "rate_limit_windows"."PreviousCount"
                    WHEN "rate_limit_windows"."Window" = excluded."Window" - 1 THEN "rate_limit_windows"."Count"
                    ELSE 0 END,
                "Count" = CASE
                    WHEN "rate_limit_windows"."Window" = excluded."Window" THEN "rate_limit_windows"."Count" + excluded."Count"
                    ELSE excluded."Count" END,
                "Window" = excluded."Window",
                "Expires" = excluded."Expires"
            WHERE excluded."Window" >= "rate_limit_windows"."Window"
            RETURNING "Count", "PreviousCount"
            """).ToListAsync(cancellationToken);
        return rows.Count > 0 ? rows[0] : new WindowCounts();
    }

    /// <summary>Deletes rows whose windows are over (each row expires one window after its current one ends).</summary>
    public async Task<int> PruneAsync(DateTime now, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BerthDbContext>();
        return await db.RateLimitWindows.Where(w => w.Expires < now).ExecuteDeleteAsync(cancellationToken);
    }
}
