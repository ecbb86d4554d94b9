namespace Berth.Oci;

/// <summary>Every error a registry response can carry. The table in <see cref="OciErrors"/> gives each its wire code and status.</summary>
public enum OciErrorCode
{
    BlobUnknown,
    BlobUploadInvalid,
    BlobUploadUnknown,
    DigestInvalid,
    ManifestBlobUnknown,
    ManifestInvalid,
    ManifestUnknown,
    NameInvalid,
    NameUnknown,
    SizeInvalid,
    Unauthorized,
    Denied,
    Unsupported,
    TooManyRequests,
    RangeInvalid,
    PaginationNumberInvalid,
    Unavailable,

    /// <summary>The registry's storage is full (or below its free-space reserve): pushes fail until space is freed; pulls work.</summary>
    InsufficientStorage,
    Unknown,
}
