using Berth.Data;
using Berth.Oci;
using Microsoft.EntityFrameworkCore;

namespace Berth.Registry.Gc;

/// <summary>
/// Holds a digest against garbage collection while bytes are published at its content address and linked: an
/// upload session row names it in <c>PublishingDigest</c>, which the collector leaves alone. The mark is written in a
/// transaction serialised with the collector's, once no deletion of that digest is under way; a deletion committed
/// before is waited out (the collector deletes the old object right after its commit), so that delete cannot land on
/// the new bytes. Uploads mark their own session; the mirror's fetches insert one for the fetch.
/// </summary>
internal static class PublishHold
{
    // A collector deletes an object right after committing its removal; a deletion pending longer is a collector that
    // died between the two steps, which a later pass finishes.
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);

    // Asked by every completing upload: compiled once.
    private static readonly Func<BerthDbContext, string, CancellationToken, Task<bool>> DeletionUnderWay =
        EF.CompileAsyncQuery((BerthDbContext db, string key, CancellationToken cancellationToken) =>
            db.GcBlobCandidates.Any(c => c.Digest == key && c.DeletingSince != null));

    /// <summary>
    /// Runs <paramref name="mark"/> (which writes the session's <c>PublishingDigest</c>) once no deletion of
    /// <paramref name="digest"/> is under way, and commits it; false when one still is after the wait.
    /// </summary>
    public static async Task<bool> TryHoldAsync(BerthDbContext db, Digest digest, Func<CancellationToken, Task> mark, TimeProvider time, CancellationToken cancellationToken)
    {
        var deadline = time.GetTimestamp() + (long)(Wait.TotalSeconds * time.TimestampFrequency);
        while (true)
        {
            await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
            {
                if (!await DeletionUnderWayAsync(db, digest, cancellationToken))
                {
                    await mark(cancellationToken);
                    await transaction.CommitAsync(cancellationToken);
                    return true;
                }
            }

            if (time.GetTimestamp() > deadline)
            {
                return false;
            }

            await Task.Delay(Poll, time, cancellationToken);
        }
    }

    /// <summary>Whether a collector has removed <paramref name="digest"/> and not yet deleted its bytes; asked in the transaction that holds it.</summary>
    public static Task<bool> DeletionUnderWayAsync(BerthDbContext db, Digest digest, CancellationToken cancellationToken) =>
        DeletionUnderWay(db, digest.ToString(), cancellationToken);
}
