using Microsoft.EntityFrameworkCore;

namespace Berth.Data;

/// <summary>
/// The statements behind every lease in <c>cluster_leases</c>: the once-per-cluster jobs' (Berth.Server's
/// <c>ClusterLeases</c>) and the mirror's one-fetch-per-digest leases. One conditional upsert takes or renews a lease,
/// the same on SQLite and PostgreSQL; a lease another owner holds is taken over only once it has lapsed.
/// </summary>
public static class ClusterLeaseRows
{
    /// <summary>A new owner id for this process: host, process id and a random part (a restarted process is a new owner).</summary>
    public static string NewOwnerId()
    {
        var id = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";
        return id.Length <= 200 ? id : id[^200..];
    }

    /// <summary>Takes or renews <paramref name="name"/> for <paramref name="owner"/> until <paramref name="now"/> + <paramref name="duration"/>; false while another owner holds it.</summary>
    public static async Task<bool> TryHoldAsync(BerthDbContext db, string name, string owner, DateTime now, TimeSpan duration, CancellationToken cancellationToken)
    {
        var until = now + duration;
        var affected = await db.Database.ExecuteSqlInterpolatedAsync(
            $"""
            INSERT INTO "cluster_leases" ("Name", "Owner", "Until") VALUES ({name}, {owner}, {until})
            ON CONFLICT ("Name") DO UPDATE SET "Owner" = excluded."Owner", "Until" = excluded."Until"
            WHERE "cluster_leases"."Owner" = excluded."Owner" OR "cluster_leases"."Until" < {now}
            """,
            cancellationToken);
        return affected > 0;
    }

    /// <summary>Gives up <paramref name="name"/> if <paramref name="owner"/> still holds it.</summary>
    public static Task<int> ReleaseAsync(BerthDbContext db, string name, string owner, CancellationToken cancellationToken) =>
        db.ClusterLeases.Where(l => l.Name == name && l.Owner == owner).ExecuteDeleteAsync(cancellationToken);
}
