namespace Berth.Registry.Uploads;

/// <summary>
/// How long a request's claim on an upload lasts without renewal. A request renews it while bytes stream (every sixth of
/// this), so only a claim whose node died goes stale, and then another request may take the upload over.
/// </summary>
public sealed record UploadSettings(TimeSpan ClaimTimeout)
{
    public static UploadSettings Default { get; } = new(TimeSpan.FromSeconds(15));

    internal TimeSpan RenewEvery => ClaimTimeout / 6;

    /// <summary>How long a status request or a chunk waits for a request holding the upload to finish before answering.</summary>
    internal TimeSpan SettleWait => ClaimTimeout / 4 < MaxSettleWait ? ClaimTimeout / 4 : MaxSettleWait;

    private static TimeSpan MaxSettleWait => TimeSpan.FromSeconds(3);
}
