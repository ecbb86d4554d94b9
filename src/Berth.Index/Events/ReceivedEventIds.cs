using Berth.Data;
using Microsoft.EntityFrameworkCore;

namespace Berth.Index.Events;

/// <summary>
/// Ids of signed messages already acted on (<c>received_events</c>), in the database so a replay is recognised after
/// a restart and on every node sharing it. A row lives as long as a signature can be valid, then is pruned.
/// </summary>
public static class ReceivedEventIds
{
    /// <summary>
    /// Records <paramref name="id"/> in the caller's transaction; false if it is already there (a replay, or a
    /// concurrent delivery that got there first). The primary key decides, so two nodes cannot both succeed.
    /// </summary>
    public static async Task<bool> TryRecordReceivedAsync(this BerthDbContext db, string id, DateTime now, CancellationToken cancellationToken)
    {
        if (id.Length is 0 or > 128)
        {
            return false;
        }

        // Insert-if-absent in one statement: no savepoint, no tracked row, and a conflict is an answer, not an error.
        return await db.Database.ExecuteSqlInterpolatedAsync(
            $"""INSERT INTO "received_events" ("Id", "ReceivedAt") VALUES ({id}, {now}) ON CONFLICT DO NOTHING""",
            cancellationToken) == 1;
    }

    /// <summary>Forgets ids received before <paramref name="before"/>: their signatures have expired, a replay is refused anyway.</summary>
    public static Task<int> PruneReceivedAsync(this BerthDbContext db, DateTime before, CancellationToken cancellationToken) =>
        db.ReceivedEvents.Where(r => r.ReceivedAt < before).ExecuteDeleteAsync(cancellationToken);
}
