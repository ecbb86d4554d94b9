using Berth.Data;
using Berth.Data.Gc;
using Microsoft.EntityFrameworkCore;

namespace Berth.Registry.Gc;

/// <summary>What a manifest's deletion makes a candidate for collection: what it named, and its referrers.</summary>
internal static class GcCandidates
{
    /// <summary>
    /// Called in the deleting transaction before the manifest's row goes (its references go with it by cascade): the
    /// blobs and child manifests it named may have lost their last reference, and its referrers their subject.
    /// </summary>
    public static async Task AddDeletedManifestAsync(BerthDbContext db, long repositoryId, string digest, DateTime now, CancellationToken cancellationToken)
    {
        var named = await (from m in db.Manifests
                           where m.RepositoryId == repositoryId && m.Digest == digest
                           join r in db.ManifestReferences on m.Id equals r.ManifestId
                           select new { r.Digest, r.IsManifest }).ToListAsync(cancellationToken);
        var referrers = await db.Manifests.Where(m => m.RepositoryId == repositoryId && m.SubjectDigest == digest)
            .Select(m => m.Digest).ToListAsync(cancellationToken);
        await db.AddBlobsAsync(named.Where(r => !r.IsManifest).Select(r => r.Digest), now, cancellationToken);
        await db.AddManifestsAsync(repositoryId, named.Where(r => r.IsManifest).Select(r => r.Digest).Concat(referrers), now, cancellationToken);
    }
}
