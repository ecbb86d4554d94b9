namespace Berth.Registry.Uploads;

/// <summary>
/// How long a request's claim on an upload lasts without renewal. A request renews it while bytes stream (every sixth of
/// this), so only a claim whose node died goes stale, and then another request may take the upload over.
/// </summary>
public sealed record UploadSettings(TimeSpan ClaimTimeout)
{
    public static UploadSettings Default { get; } = new(TimeSpan.FromSeconds(15));

    internal TimeSpan RenewEvery => ClaimTimeout / 6;
}
