using Berth.Registry.Retention;

namespace Berth.Registry.Gc;

/// <summary>How one pass collects: the grace period (candidates and blob links younger than it are left alone), the
/// age after which an untagged manifest goes (null: never), whether it only counts what it would delete, and how long
/// an upload session may idle before the pass purges it (null: the pass leaves uploads alone).</summary>
public sealed record GcPassOptions(TimeSpan Grace, TimeSpan? UntaggedAfter, bool DryRun, string Trigger, TimeSpan? UploadIdle = null);

/// <summary>What a pass reclaimed (a dry run: what it would have, first level only: what a deleted manifest would
/// free in turn is not counted). <see cref="Untagged"/>: the tags retention policies removed first (would remove); a
/// dry run does not count what their manifests would free. <see cref="UploadsPurged"/>: idle upload sessions purged
/// first (none in a dry run).</summary>
public sealed record GcReport(
    long RunId,
    string Trigger,
    bool DryRun,
    DateTime StartedAt,
    DateTime FinishedAt,
    int CandidatesReviewed,
    int BlobsDeleted,
    long BytesDeleted,
    int ManifestsDeleted,
    IReadOnlyList<UntaggedTag> Untagged,
    int UploadsPurged);

/// <summary>Online garbage collection over the review queues (<c>gc_blob_candidates</c>, <c>gc_manifest_candidates</c>).</summary>
public interface IGarbageCollector
{
    /// <summary>One pass over the due candidates, recorded in <c>gc_runs</c>. Callers run one pass at a time per cluster
    /// (the <c>gc</c> cluster lease).</summary>
    Task<GcReport> RunAsync(GcPassOptions options, CancellationToken cancellationToken);
}
