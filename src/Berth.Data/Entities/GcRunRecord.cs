namespace Berth.Data.Entities;

/// <summary>One garbage-collection pass and what it reclaimed (or, in a dry run, would have), for the admin API.</summary>
public sealed class GcRunRecord
{
    public long Id { get; set; }

    /// <summary>What started it: <c>worker</c>, <c>api</c> or <c>command</c>.</summary>
    public required string Trigger { get; set; }

    public bool DryRun { get; set; }

    public DateTime StartedAt { get; set; }

    public DateTime FinishedAt { get; set; }

    public int BlobsDeleted { get; set; }

    public long BytesDeleted { get; set; }

    public int ManifestsDeleted { get; set; }

    public int CandidatesReviewed { get; set; }

    /// <summary>Tags the retention policies removed at the start of the pass.</summary>
    public int TagsUntagged { get; set; }

    /// <summary>Upload sessions idle for longer than <c>--upload-idle-seconds</c> that the pass purged first.</summary>
    public int UploadsPurged { get; set; }

    public string? Error { get; set; }
}
