namespace Berth.Storage.S3;

/// <summary>Where and how the S3 driver stores objects: one bucket, optionally under a key prefix.</summary>
public sealed record S3StorageOptions
{
    /// <summary>The smallest part S3 accepts in a multipart upload (except the last).</summary>
    public const int MinPartSize = 5 * 1024 * 1024;

    /// <summary>The service URL of an S3-compatible store; null for AWS itself (by <see cref="Region"/>).</summary>
    public Uri? Endpoint { get; init; }

    public required string Bucket { get; init; }

    public string Region { get; init; } = "us-east-1";

    public required string AccessKey { get; init; }

    public required string SecretKey { get; init; }

    /// <summary>Addresses the bucket as <c>endpoint/bucket/key</c> rather than <c>bucket.endpoint/key</c>.</summary>
    public bool PathStyle { get; init; }

    /// <summary>Blob GETs are answered with a redirect to a presigned URL instead of streaming through the registry.</summary>
    public bool Redirect { get; init; }

    /// <summary>How long a presigned URL stays valid.</summary>
    public TimeSpan RedirectLifetime { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Every key is stored under this prefix (e.g. <c>berth/</c>); empty for the bucket's root.</summary>
    public string Prefix { get; init; } = "";

    /// <summary>
    /// Bytes a writer buffers before sending a part: the memory one writer holds, and the unit of a multipart upload.
    /// At least <see cref="MinPartSize"/>, a multiple of 64 (the resumable MD5 checks whole blocks).
    /// </summary>
    public int PartSize { get; init; } = 8 * 1024 * 1024;
}
