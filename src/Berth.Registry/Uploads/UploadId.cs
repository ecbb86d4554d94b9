namespace Berth.Registry.Uploads;

/// <summary>Upload ids are 32 lowercase hex characters; nothing else ever reaches a storage key.</summary>
internal static class UploadId
{
    public static string New() => Guid.NewGuid().ToString("N");

    public static bool IsValid(string? id) =>
        id is { Length: 32 } && id.AsSpan().IndexOfAnyExcept("0123456789abcdef") < 0;
}
